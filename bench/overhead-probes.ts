// The overhead benchmark's measurements, one function per figure, each against one target with
// the same request: sequential latency, closed-loop throughput at a fixed concurrency, and time to
// the first chunk of a stream. Answers are validated; a wrong answer is an error, not a sample.
import { performance } from "node:perf_hooks";
import { type HttpClient, networkReason, statusReason } from "../load/http";
import { validateChat, validateChatStream } from "../load/validate";

export interface Target {
  key: "a" | "b" | "c" | "d" | "e";
  name: string;
  client: HttpClient;
  /** The workerd process serving it (none for the host called directly): for CPU per request. */
  pid?: number;
}

export interface LatencyFigures {
  p50: number;
  p99: number;
  errors: string[];
}

export interface ThroughputFigures {
  rps: number;
  /** Successful answers. */
  ok: number;
  errors: string[];
}

const CHAT_PATH = "/v1/chat/completions";

export function chatBody(model: string, stream: boolean): Record<string, unknown> {
  return {
    model,
    messages: [{ role: "user", content: "Say hello to the overhead benchmark in a few words." }],
    max_tokens: 16,
    ...(stream ? { stream: true, stream_options: { include_usage: true } } : {}),
  };
}

/** The median of the finite values (NaN when none): the figure a benchmark quotes over its rounds. */
export function median(values: number[]): number {
  const s = values.filter((v) => Number.isFinite(v)).sort((x, y) => x - y);
  if (s.length === 0) return Number.NaN;
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] ?? Number.NaN) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

/** A chat answered right: its latency, and for a stream the time to its first event. */
export type ChatOutcome = { ms: number; ttfcMs: number | null } | { error: string };

/** One chat, streamed or not, with its answer validated: a wrong answer is an error, not a sample. */
export async function validatedChat(
  client: HttpClient,
  body: Record<string, unknown>,
  stream: boolean,
): Promise<ChatOutcome> {
  try {
    if (!stream) {
      const r = await client.send("POST", CHAT_PATH, { body });
      if (r.status !== 200) return { error: statusReason(r.status, r.text) };
      const check = validateChat(r.text);
      return check.error === null ? { ms: r.latencyMs, ttfcMs: null } : { error: check.error };
    }
    const r = await client.stream(CHAT_PATH, { body });
    if (r.status !== 200) return { error: statusReason(r.status, r.text) };
    const check = validateChatStream(r.events);
    if (check.error !== null) return { error: check.error };
    return r.ttfcMs === null ? { error: "stream: no events" } : { ms: r.latencyMs, ttfcMs: r.ttfcMs };
  } catch (err) {
    return { error: networkReason(err) };
  }
}

const errorOf = (r: ChatOutcome): string | null => ("error" in r ? r.error : null);

/** `n` requests one after another. */
export async function sequential(t: Target, body: Record<string, unknown>, n: number): Promise<LatencyFigures> {
  const samples: number[] = [];
  const errors: string[] = [];
  for (let i = 0; i < n; i++) {
    const r = await validatedChat(t.client, body, false);
    if ("ms" in r) samples.push(r.ms);
    else errors.push(r.error);
  }
  samples.sort((x, y) => x - y);
  return { p50: percentile(samples, 50), p99: percentile(samples, 99), errors };
}

/** `concurrency` loops calling `once` back to back for `durationMs` (null: a success, else why not), per second. */
async function timedLoops(
  concurrency: number,
  durationMs: number,
  once: () => Promise<string | null>,
): Promise<ThroughputFigures> {
  const started = performance.now();
  const end = started + durationMs;
  let ok = 0;
  const errors: string[] = [];
  const loop = async (): Promise<void> => {
    while (performance.now() < end) {
      const error = await once();
      if (error === null) ok += 1;
      else errors.push(error);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, loop));
  return { rps: ok / ((performance.now() - started) / 1000), ok, errors };
}

/** `concurrency` loops sending back to back for `durationMs`; successful answers per second. */
export function throughput(
  t: Target,
  body: Record<string, unknown>,
  concurrency: number,
  durationMs: number,
): Promise<ThroughputFigures> {
  return timedLoops(concurrency, durationMs, async () => errorOf(await validatedChat(t.client, body, false)));
}

/** `concurrency` loops reading whole streams back to back for `durationMs`; complete streams per second. */
export function streamThroughput(
  t: Target,
  body: Record<string, unknown>,
  concurrency: number,
  durationMs: number,
): Promise<ThroughputFigures> {
  return timedLoops(concurrency, durationMs, async () => errorOf(await validatedChat(t.client, body, true)));
}

/** `n` streams one after another: time from sending to the first SSE event. */
export async function streamFirstChunk(t: Target, body: Record<string, unknown>, n: number): Promise<LatencyFigures> {
  const samples: number[] = [];
  const errors: string[] = [];
  for (let i = 0; i < n; i++) {
    const r = await validatedChat(t.client, body, true);
    if ("error" in r) errors.push(r.error);
    else if (r.ttfcMs !== null) samples.push(r.ttfcMs);
  }
  samples.sort((x, y) => x - y);
  return { p50: percentile(samples, 50), p99: percentile(samples, 99), errors };
}
