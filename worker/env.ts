import type { FleetObject } from "../durable-objects/fleet";
import type { SessionObject } from "../durable-objects/session";
import type { UsageOutbox } from "../durable-objects/usage-outbox";

/** Bindings and vars from wrangler.toml (and secrets). All vars arrive as strings. */
export interface Env {
  FLEET: DurableObjectNamespace<FleetObject>;
  SESSION: DurableObjectNamespace<SessionObject>;
  USAGE_OUTBOX: DurableObjectNamespace<UsageOutbox>;
  /** postgres://… ; a Neon URL in production, any PostgreSQL locally. */
  DATABASE_URL: string;
  /** Local only: "host:port" of the WebSocket-to-TCP proxy standing in for Neon's. */
  DB_WS_PROXY?: string;
  STALE_AFTER_SECONDS?: string;
  UPSTREAM_TIMEOUT_MS?: string;
  /** A non-streamed request's wait for its answer, which comes only once generation is done (default 600000). */
  UPSTREAM_GENERATION_TIMEOUT_MS?: string;
  /** Time budget for all attempts of one request (default twice the attempt's timeout). */
  UPSTREAM_BUDGET_MS?: string;
  /** How often each FleetObject re-reads instance statuses from Postgres (default 5). */
  FLEET_SYNC_SECONDS?: string;
  /** Circuit breaker: a failing worker's first cooldown, doubled per consecutive failure up to the max (default 5000 / 60000). */
  BREAKER_COOLDOWN_MS?: string;
  BREAKER_MAX_COOLDOWN_MS?: string;
  /** A session moves when its worker's live load exceeds the least-loaded one's by more (default 4). */
  SESSION_REPIN_MARGIN?: string;
  /** A session unused this long is forgotten (default 1800). */
  SESSION_IDLE_TTL_SECONDS?: string;
  /** How long an API key (or worker token) lookup is trusted before it is re-read (default 30000; worker tokens 60000). */
  AUTH_CACHE_TTL_MS?: string;
  /** How long the model catalog is trusted before it is re-read (default 15000). */
  CATALOG_TTL_MS?: string;
  /** How long keys and the catalog keep being served from memory while Postgres is unreachable (default 3600000). */
  STALE_IF_ERROR_MS?: string;
  /** Usage events one outbox shard may hold unwritten before the router refuses traffic (default 1000000). */
  USAGE_OUTBOX_MAX_BACKLOG?: string;
  /** Longest wait between attempts to flush usage to an unreachable Postgres (default 30000). */
  USAGE_FLUSH_MAX_BACKOFF_MS?: string;
  /** Request bodies above this size get 413 (default 4 MiB). */
  MAX_BODY_BYTES?: string;
}
