// Everything the load runner reads from the environment, parsed once and checked, so a typo in an
// env var fails at start instead of producing a misleading run.
import { DEFAULT_DEV_API_KEY, DEMO_MODEL } from "../dev/seed";

export interface LoadConfig {
  baseUrl: string;
  apiKey: string;
  model: string;
  /** Multiplies ramp and soak stage durations (smoke is fixed). */
  timeScale: number;
  /** Think time between a virtual user's tasks, uniform in [min, max] ms. */
  thinkMs: readonly [number, number];
  /** Share of chat tasks that stream, and share that carry a session with history. */
  streamShare: number;
  sessionShare: number;
  /** Output cap sent with every chat request (the mock host echoes, so this bounds the answer). */
  maxTokens: number;
  requestTimeoutMs: number;
  /** LOAD_SESSIONS_OPTIONAL=1: a 404 from GET /v1/sessions is counted as skipped, not as an error. */
  sessionsOptional: boolean;
  /** Soak only: steady virtual users and minutes (before the time scale). */
  soakVus: number;
  soakMinutes: number;
  /** The `limits` scenario (load/limits.ts): chats go out with a key limited to this rpm; null: off. */
  limitRpm: number | null;
  /** Bring up a self-contained stack (database, proxy, mock hosts, router in workerd) for this run. */
  startStack: boolean;
  stack: StackConfig;
}

export interface StackConfig {
  /** Simulated GPU hosts, 0–2. 0 makes every chat fail: the "broken router" check. */
  hosts: number;
  /** Status the hosts report: "ready", or "draining" to simulate a fleet with no ready worker. */
  hostStatus: "ready" | "draining";
  tokenDelayMs: number;
  ttftMs: number;
  /** LOAD_ROUTER_REF: build the router from this git ref instead of the working tree. */
  routerRef?: string;
}

export class ConfigError extends Error {}

function num(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min || value > max)
    throw new ConfigError(`${name}=${raw}: expected a number in [${min}, ${max}]`);
  return value;
}

function flag(env: NodeJS.ProcessEnv, name: string): boolean {
  const raw = (env[name] ?? "").toLowerCase();
  return raw === "1" || raw === "true" || raw === "yes";
}

/** "300" or "200-800" (ms). */
function range(env: NodeJS.ProcessEnv, name: string, fallback: readonly [number, number]): readonly [number, number] {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const parts = raw.split("-").map(Number);
  const [lo, hi = lo] = parts;
  if (parts.length > 2 || lo === undefined || hi === undefined || !(lo >= 0) || !(hi >= lo) || hi > 60_000) {
    throw new ConfigError(`${name}=${raw}: expected "<ms>" or "<min>-<max>" ms`);
  }
  return [lo, hi];
}

export function readConfig(env: NodeJS.ProcessEnv = process.env, argv: readonly string[] = []): LoadConfig {
  const baseUrl = (env.LOAD_BASE_URL ?? "http://127.0.0.1:8787").replace(/\/+$/, "");
  if (!/^https?:\/\//.test(baseUrl)) throw new ConfigError(`LOAD_BASE_URL=${baseUrl}: expected an http(s) URL`);
  const hostStatus = env.LOAD_STACK_HOST_STATUS ?? "ready";
  if (hostStatus !== "ready" && hostStatus !== "draining")
    throw new ConfigError(`LOAD_STACK_HOST_STATUS=${hostStatus}: expected ready or draining`);
  return {
    baseUrl,
    apiKey: env.LOAD_API_KEY ?? DEFAULT_DEV_API_KEY,
    model: env.LOAD_MODEL ?? DEMO_MODEL,
    timeScale: num(env, "LOAD_TIME_SCALE", 1, 0.01, 100),
    thinkMs: range(env, "LOAD_THINK_MS", [200, 800]),
    streamShare: num(env, "LOAD_STREAM_SHARE", 0.4, 0, 1),
    sessionShare: num(env, "LOAD_SESSION_SHARE", 0.3, 0, 1),
    maxTokens: num(env, "LOAD_MAX_TOKENS", 24, 1, 4096),
    requestTimeoutMs: num(env, "LOAD_REQUEST_TIMEOUT_MS", 30_000, 100, 600_000),
    sessionsOptional: flag(env, "LOAD_SESSIONS_OPTIONAL"),
    soakVus: num(env, "LOAD_SOAK_VUS", 30, 1, 1000),
    soakMinutes: num(env, "LOAD_SOAK_MINUTES", 30, 0.1, 24 * 60),
    limitRpm:
      env.LOAD_SCENARIO === "limits" || argv.includes("--limits") ? num(env, "LOAD_LIMIT_RPM", 600, 1, 100_000) : null,
    startStack: flag(env, "LOAD_START_STACK") || argv.includes("--stack"),
    stack: {
      hosts: num(env, "LOAD_STACK_HOSTS", 2, 0, 2),
      hostStatus,
      tokenDelayMs: num(env, "LOAD_STACK_TOKEN_DELAY_MS", 0, 0, 10_000),
      ttftMs: num(env, "LOAD_STACK_TTFT_MS", 0, 0, 60_000),
      routerRef: env.LOAD_ROUTER_REF || undefined,
    },
  };
}
