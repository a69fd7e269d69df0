// Helpers for fleet and session tests: the admin API's instance views, and requests that report
// which GPU host served them (the router's x-inventiv-instance header).
import type { Stack } from "./stack";
import { chat } from "./stack";

export interface LiveJson {
  status: string;
  worker_status: string;
  routable: boolean;
  unroutable_reason: string | null;
  queue_depth: number;
  inflight: number;
  live_load: number;
  consecutive_failures: number;
  ejected_until: number | null;
}

export interface InstanceJson {
  id: string;
  object: "instance";
  model: string;
  status: string;
  base_url: string;
  live: LiveJson | null;
}

export async function listInstances(stack: Stack): Promise<InstanceJson[]> {
  const res = await stack.call("GET", "/instances");
  if (res.status !== 200) throw new Error(`GET /instances → ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { data: InstanceJson[] }).data;
}

export async function getInstance(stack: Stack, id: string): Promise<InstanceJson> {
  const res = await stack.call("GET", `/instances/${id}`);
  if (res.status !== 200) throw new Error(`GET /instances/${id} → ${res.status}: ${await res.text()}`);
  return (await res.json()) as InstanceJson;
}

export interface Served {
  status: number;
  /** The host that answered, or null when the router answered itself (e.g. 503). */
  instance: string | null;
  body: string;
  headers: Headers;
}

export interface ChatOptions {
  session?: string;
  content?: string;
  extra?: Record<string, unknown>;
  key?: string;
  signal?: AbortSignal;
}

/** One chat completion, read to the end. */
export async function chatOnce(stack: Stack, o: ChatOptions = {}): Promise<Served> {
  const res = await fetch(`${stack.baseURL}/chat/completions`, {
    method: "POST",
    headers: {
      authorization: `Bearer ${o.key ?? stack.tenant.memberKey}`,
      "content-type": "application/json",
      ...(o.session ? { "x-inventiv-session": o.session } : {}),
    },
    body: JSON.stringify(chat(stack, o.content ?? "Hello", o.extra)),
    signal: o.signal,
  });
  const body = await res.text();
  return { status: res.status, instance: res.headers.get("x-inventiv-instance"), body, headers: res.headers };
}

/** How many times each value occurs. */
export function tally(values: (string | null)[]): Map<string | null, number> {
  const counts = new Map<string | null, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return counts;
}
