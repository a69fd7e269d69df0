// The one worker file that names the Durable Object classes: the bindings' types need them.
// Everything else imports shapes from contracts.ts and stubs from stubs.ts.
import type { FleetObject } from "../durable-objects/fleet";
import type { LimiterObject } from "../durable-objects/limiter";
import type { ResponseIndex } from "../durable-objects/response-index";
import type { SessionObject } from "../durable-objects/session";
import type { UsageOutbox } from "../durable-objects/usage-outbox";
import type { ConfigSource } from "./config";

/**
 * Bindings, secrets and vars from wrangler.toml. The tuning vars (strings) are declared, with their
 * defaults and ranges, in config.ts; code reads them parsed, through `configOf(env)`.
 */
export interface Env extends ConfigSource {
  FLEET: DurableObjectNamespace<FleetObject>;
  SESSION: DurableObjectNamespace<SessionObject>;
  USAGE_OUTBOX: DurableObjectNamespace<UsageOutbox>;
  LIMITER: DurableObjectNamespace<LimiterObject>;
  RESPONSE_INDEX: DurableObjectNamespace<ResponseIndex>;
  /** postgres://… ; a Neon URL in production, any PostgreSQL locally. */
  DATABASE_URL: string;
  /** Local only: "host:port" of the WebSocket-to-TCP proxy standing in for Neon's. */
  DB_WS_PROXY?: string;
  /** Secret: 32 random bytes in base64; seals hosts' vLLM API keys (worker/hosts/host-key.ts). */
  HOST_KEY_ENCRYPTION_KEY?: string;
  /** Secret: a bearer token that may read GET /metrics for every organization (an operator's Prometheus). */
  METRICS_TOKEN?: string;
  /** Secret (`wrangler secret put SESSION_SECRET`): signs dashboard session cookies. Without it the dashboard answers 503. */
  SESSION_SECRET?: string;
}
