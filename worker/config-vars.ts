// Every setting the Worker and its Durable Objects read from their env, declared once: name, default,
// range and meaning. README's table is rendered from this one (`npm run docs:config`) and checked against it
// (test/integration/config-docs.test.ts); config.ts parses the env by it.
export interface VarSpec {
  /** When unset. null: derived from other settings, as `meaning` says. */
  default: number | null;
  min: number;
  max: number;
  /** What one unit is, for the error message and the docs. */
  unit: string;
  meaning: string;
}

/** A setting that is one of a few words. */
export interface ChoiceSpec {
  default: string;
  choices: readonly string[];
  meaning: string;
}

export type SettingSpec = VarSpec | ChoiceSpec;

export const isChoice = (spec: SettingSpec): spec is ChoiceSpec => "choices" in spec;

const HOUR_MS = 3_600_000;

export const CONFIG_VARS = {
  STALE_AFTER_SECONDS: {
    default: 300,
    min: 1,
    max: 86_400,
    unit: "seconds",
    meaning: "A host without a heartbeat this long is not routed to.",
  },
  UPSTREAM_TIMEOUT_MS: {
    default: 30_000,
    min: 1,
    max: HOUR_MS,
    unit: "milliseconds",
    meaning: "Per attempt: a stream's first token, and the longest silence inside any answer.",
  },
  UPSTREAM_GENERATION_TIMEOUT_MS: {
    default: 600_000,
    min: 1,
    max: 24 * HOUR_MS,
    unit: "milliseconds",
    meaning: "A non-streamed answer, which vLLM sends only once it is fully generated.",
  },
  UPSTREAM_BUDGET_MS: {
    default: null,
    min: 1,
    max: 24 * HOUR_MS,
    unit: "milliseconds",
    meaning:
      "All attempts of a streamed request; at least `UPSTREAM_TIMEOUT_MS`, default twice it. A non-streamed request gets twice its generation timeout.",
  },
  FLEET_SYNC_SECONDS: {
    default: 5,
    min: 1,
    max: 3_600,
    unit: "seconds",
    meaning: "How soon a status written in `instances` reaches routing.",
  },
  PROBE_INTERVAL_SECONDS: {
    default: 2,
    min: 1,
    max: 3_600,
    unit: "seconds",
    meaning:
      "How often each fleet probes its hosts (`/health`, `/metrics`, `/v1/models` on admission): out after 3 failed probes, back after 2 good ones.",
  },
  PROBE_TIMEOUT_MS: {
    default: 1_500,
    min: 1,
    max: 60_000,
    unit: "milliseconds",
    meaning: "A probe not answered this fast counts as failed (a loading host stays booting).",
  },
  SATURATION_MAX_WAITING: {
    default: 5,
    min: 1,
    max: 1_000_000,
    unit: "requests",
    meaning: "A host with this many requests waiting is saturated: chosen only when every host is.",
  },
  SATURATION_MAX_KV_PERCENT: {
    default: 80,
    min: 1,
    max: 100,
    unit: "percent",
    meaning: "A host whose KV cache is this full is saturated: chosen only when every host is.",
  },
  SESSION_AFFINITY_BOUND_MS: {
    default: 2_000,
    min: 0,
    max: 600_000,
    unit: "ms of expected latency",
    meaning:
      "How much later than on the best host a session's request may be expected to end before the session moves.",
  },
  SESSION_IDLE_TTL_SECONDS: {
    default: 1_800,
    min: 1,
    max: 30 * 86_400,
    unit: "seconds",
    meaning: "A session unused this long is forgotten.",
  },
  BREAKER_COOLDOWN_MS: {
    default: 5_000,
    min: 1,
    max: HOUR_MS,
    unit: "milliseconds",
    meaning: "A failing host's first cooldown, doubled per consecutive failure.",
  },
  BREAKER_MAX_COOLDOWN_MS: {
    default: 60_000,
    min: 1,
    max: 24 * HOUR_MS,
    unit: "milliseconds",
    meaning: "The longest cooldown; at least `BREAKER_COOLDOWN_MS`.",
  },
  AUTH_CACHE_TTL_MS: {
    default: 30_000,
    min: 1,
    max: 24 * HOUR_MS,
    unit: "milliseconds",
    meaning: "How long an API key or worker token lookup is trusted before it is re-read behind a request.",
  },
  LAST_USED_FLUSH_MS: {
    default: 60_000,
    min: 1,
    max: 24 * HOUR_MS,
    unit: "milliseconds",
    meaning: "How often an isolate writes the `last_used_at` of the API keys it saw, in one UPDATE behind a request.",
  },
  CATALOG_TTL_MS: {
    default: 15_000,
    min: 1,
    max: 24 * HOUR_MS,
    unit: "milliseconds",
    meaning: "How long the model catalog is trusted before it is re-read behind a request.",
  },
  STALE_IF_ERROR_MS: {
    default: HOUR_MS,
    min: 1,
    max: 7 * 24 * HOUR_MS,
    unit: "milliseconds",
    meaning: "How long keys and the catalog keep being served from memory while Postgres is unreachable.",
  },
  USAGE_OUTBOX_MAX_BACKLOG: {
    default: 1_000_000,
    min: 1,
    max: 100_000_000,
    unit: "events",
    meaning: "Usage events one outbox shard may hold unwritten before the router refuses metered traffic.",
  },
  FLEET_REPLICAS: {
    default: 1,
    min: 1,
    max: 64,
    unit: "objects",
    meaning:
      "FleetObjects serving each organization's model: requests spread over them, each with every host and its own leases; more when one object's ceiling is near.",
  },
  FLEET_RELEASE_WINDOW_MS: {
    default: 5,
    min: 0,
    max: 1_000,
    unit: "milliseconds",
    meaning:
      "How long an ended request's lease release waits for the isolate's next acquire on its fleet to carry it, before one call sends all that is owed.",
  },
  FLEET_SPARE_LEASES: {
    default: 16,
    min: 0,
    max: 32,
    unit: "leases",
    meaning:
      "Most leases an isolate holds ahead for its next requests to a fleet, each chosen by the fleet as the next request would be, so those requests make no call; 0 asks for a lease every request.",
  },
  FLEET_SPARE_TTL_MS: {
    default: 50,
    min: 1,
    max: 1_000,
    unit: "milliseconds",
    meaning:
      "How long a spare lease may wait for a request before it goes back unused: the most a host's choice can lag the fleet's state.",
  },
  USAGE_GROUP_COMMIT_MS: {
    default: 10,
    min: 0,
    max: 100,
    unit: "milliseconds",
    meaning:
      "How long an isolate gathers ended requests' usage events before handing them to their outbox shard in one call and one commit.",
  },
  USAGE_FLUSH_MAX_BACKOFF_MS: {
    default: 30_000,
    min: 1,
    max: HOUR_MS,
    unit: "milliseconds",
    meaning: "Longest wait between attempts to flush usage to an unreachable Postgres.",
  },
  MAX_BODY_BYTES: {
    default: 4 * 1024 * 1024,
    min: 1,
    max: 100 * 1024 * 1024,
    unit: "bytes",
    meaning: "Request bodies above this size get 413 (on a Content-Length, before anything is read).",
  },
  AUDIO_MAX_BODY_BYTES: {
    default: 25 * 1024 * 1024,
    min: 1,
    max: 512 * 1024 * 1024,
    unit: "bytes",
    meaning:
      "Audio uploads (`/v1/audio/transcriptions`, `/translations`) above this size get 413: on a Content-Length before anything is read, else once that many bytes have streamed through.",
  },
  BODY_READ_TIMEOUT_MS: {
    default: 10_000,
    min: 1,
    max: HOUR_MS,
    unit: "milliseconds",
    meaning:
      "The longest a request body may take to arrive once the caller is authenticated; slower gets 408. Audio uploads: their fields before the file, then the longest silence between chunks the router reads itself (all of a body without Content-Length).",
  },
  MOCK_PROVISIONING: {
    default: 0,
    min: 0,
    max: 1,
    unit: "(off, on)",
    meaning: "1 (local stack only): a `mock` deployment without `base_url` gets a simulated host; 0: it is a 400.",
  },
  DASHBOARD_SESSION_SECONDS: {
    default: 28_800,
    min: 60,
    max: 7 * 86_400,
    unit: "seconds",
    meaning: "How long a dashboard sign-in lasts; a revoked key ends it sooner, on the next page.",
  },
  RATE_LIMIT_FAIL_MODE: {
    default: "open",
    choices: ["open", "closed"],
    meaning:
      "When a key's or organization's limiter cannot be reached: `open` serves without its rate limits, `closed` answers 503. Budgets always fail closed.",
  },
  LIMITS_DEFAULT_MAX_TOKENS: {
    default: 4_096,
    min: 1,
    max: 10_000_000,
    unit: "tokens",
    meaning:
      "Output reserved against `tpm` and a budget for a request without `max_tokens`; under a budget such a request is sent with this `max_tokens`.",
  },
  LIMITS_SETTLE_WINDOW_MS: {
    default: 5,
    min: 0,
    max: 1_000,
    unit: "milliseconds",
    meaning:
      "How long an ended request's settlement waits for the isolate's next admission by its limiter to carry it, before one call sends all that is owed. Until then its reservation still counts, so a limit is never exceeded.",
  },
} as const satisfies Record<string, SettingSpec>;

export type ConfigVarName = keyof typeof CONFIG_VARS;
