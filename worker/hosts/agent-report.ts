// What a GPU host's agent sends to /internal/worker/register and /heartbeat, in either protocol:
// ours (status, base_url, queue_depth = waiting + running) and the seed system's agent, exactly as it
// sends (register without status or base URL, the host at ip_address:vllm_port; heartbeats whose
// queue_depth is waiting only, or null when vLLM's /metrics did not answer). Pure parsing, no I/O.
import { hasControlChars } from "../http/text";

export type AgentStatus = "starting" | "ready" | "draining";

export interface AgentFacts {
  workerId: string | null;
  agentVersion: string | null;
  agentBuildDate: string | null;
  gpuUtilization: number | null;
  gpuMemUsedMb: number | null;
  gpuMemTotalMb: number | null;
  gpuCount: number | null;
}

export interface AgentReport {
  instanceId: string;
  /** null: not said (the seed agent's register); the member keeps what it had, a new one is starting. */
  status: AgentStatus | null;
  modelId: string | null;
  /** Given (ours), or derived from ip_address + vllm_port (the seed's); used only when none is registered. */
  baseUrl: string | null;
  /**
   * total = waiting + running; waiting alone only when the agent tells them apart (the seed's sends
   * metadata.vllm; ours sends one depth). null when it could not read its vLLM (queue_depth: null).
   */
  load: { total: number; waiting: number | null } | null;
  facts: AgentFacts;
}

export type Parsed = { ok: true; report: AgentReport } | { ok: false; message: string; param: string };

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const num = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);
const str = (v: unknown, max = 200): string | null => (typeof v === "string" && v !== "" ? v.slice(0, max) : null);
const count = (v: unknown): number | null => (Number.isInteger(v) && (v as number) >= 0 ? (v as number) : null);
const HOSTNAME = /^[A-Za-z0-9.-]{1,253}$/;

/** http://<ip_address>:<vllm_port>, brackets for IPv6; null when either is absent or malformed. */
export function hostUrl(ip: unknown, port: unknown): string | null {
  if (typeof ip !== "string" || !Number.isInteger(port) || (port as number) < 1 || (port as number) > 65535)
    return null;
  if (ip.includes(":")) return /^[0-9A-Fa-f:.]+$/.test(ip) ? `http://[${ip}]:${port}` : null;
  return HOSTNAME.test(ip) ? `http://${ip}:${port}` : null;
}

function facts(b: Obj): AgentFacts {
  const meta = isObj(b.metadata) ? b.metadata : {};
  const info = isObj(b.agent_info) ? b.agent_info : {};
  const pick = (key: string) => num(b[key]) ?? num(meta[key]);
  return {
    workerId: str(b.worker_id),
    agentVersion: str(info.version, 64),
    agentBuildDate: str(info.build_date, 64),
    gpuUtilization: pick("gpu_utilization"),
    gpuMemUsedMb: pick("gpu_mem_used_mb"),
    gpuMemTotalMb: pick("gpu_mem_total_mb"),
    gpuCount: Array.isArray(meta.gpus) ? meta.gpus.length : null,
  };
}

export function parseAgentReport(body: unknown, route: "register" | "heartbeat"): Parsed {
  const fail = (message: string, param: string): Parsed => ({ ok: false, message, param });
  if (!isObj(body) || typeof body.instance_id !== "string" || body.instance_id === "")
    return fail("`instance_id` is required.", "instance_id");
  const status = body.status;
  // Registration may leave the status unsaid (the seed agent's does); a heartbeat must say it.
  if (
    !(status === undefined && route === "register") &&
    status !== "starting" &&
    status !== "ready" &&
    status !== "draining"
  )
    return fail("`status` must be starting, ready or draining.", "status");
  for (const field of ["worker_id", "model_id"] as const) {
    const v = body[field];
    if (v !== undefined && v !== null && (typeof v !== "string" || hasControlChars(v)))
      return fail(`\`${field}\` must be plain text.`, field);
  }
  const depth = body.queue_depth;
  if (depth !== undefined && depth !== null && count(depth) === null)
    return fail("`queue_depth` must be a non-negative integer or null.", "queue_depth");
  let baseUrl: string | null = null;
  if (body.base_url !== undefined) {
    if (typeof body.base_url !== "string" || !/^https?:\/\/[^\s/]+/.test(body.base_url))
      return fail("`base_url` must be an http(s) URL.", "base_url");
    baseUrl = body.base_url.replace(/\/+$/, "");
  } else if (body.ip_address !== undefined || body.vllm_port !== undefined) {
    baseUrl = hostUrl(body.ip_address, body.vllm_port);
    if (!baseUrl && body.vllm_port !== undefined)
      return fail("`ip_address` and `vllm_port` must name the host (an address and a port).", "ip_address");
  }
  const vllm = isObj(body.metadata) && isObj(body.metadata.vllm) ? body.metadata.vllm : {};
  const waiting = count(depth) ?? count(vllm.requests_waiting);
  // Our agent's queue_depth already counts running requests; the seed's sends them beside it.
  const running = count(vllm.requests_running);
  return {
    ok: true,
    report: {
      instanceId: body.instance_id,
      status: (status as AgentStatus | undefined) ?? null,
      modelId: str(body.model_id),
      baseUrl,
      load:
        waiting === null
          ? null
          : running === null
            ? { total: waiting, waiting: null }
            : { total: waiting + running, waiting },
      facts: facts(body),
    },
  };
}
