// The control plane's tables. Names follow the seed test plan so its SQL runs unchanged.
import { sql } from "drizzle-orm";
import {
  bigint,
  boolean,
  check,
  index,
  integer,
  jsonb,
  numeric,
  pgSchema,
  pgTable,
  primaryKey,
  real,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";
import {
  apiKeyRoles,
  instanceProviders,
  instanceStatuses,
  type Limits,
  latencyHistograms,
  usageKinds,
  usageStatuses,
} from "./values";

export * from "./values";

const createdAt = () => timestamp("created_at", { withTimezone: true }).notNull().defaultNow();
const counter = (name: string) => bigint(name, { mode: "number" }).notNull().default(0);

export const organizations = pgTable("organizations", {
  id: uuid("id").primaryKey().defaultRandom(),
  slug: text("slug").notNull().unique(),
  name: text("name").notNull(),
  /** The platform's own organization: its admin keys create organizations and manage global models. */
  isPlatform: boolean("is_platform").notNull().default(false),
  /** Limits of the organization as a whole (every key's requests count); null: none. */
  limits: jsonb("limits").$type<Limits>(),
  createdAt: createdAt(),
});

export const apiKeys = pgTable(
  "api_keys",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    organizationId: uuid("organization_id")
      .notNull()
      .references(() => organizations.id),
    name: text("name").notNull(),
    /** First characters of the key, shown to humans ("sk-inv-ab12…"). */
    keyPrefix: text("key_prefix").notNull(),
    /** Hex SHA-256 of the whole key; the key itself is never stored. */
    keyHash: text("key_hash").notNull().unique(),
    role: text("role", { enum: apiKeyRoles }).notNull().default("member"),
    createdAt: createdAt(),
    revokedAt: timestamp("revoked_at", { withTimezone: true }),
    lastUsedAt: timestamp("last_used_at", { withTimezone: true }),
    /** Null: never expires. */
    expiresAt: timestamp("expires_at", { withTimezone: true }),
    /** Allow-list of model uuids, Hugging Face ids or offerings (`org/code`); null: all the organization may use. */
    models: text("models").array(),
    /** After a rotation: the old secret's hash, accepted until `previous_key_expires_at`. */
    previousKeyHash: text("previous_key_hash").unique(),
    previousKeyExpiresAt: timestamp("previous_key_expires_at", { withTimezone: true }),
    /** This key's own limits (worker/limits/policy.ts); null: none beyond its organization's. */
    limits: jsonb("limits").$type<Limits>(),
  },
  // GET /api-keys pages by (created_at, id) within an organization.
  (t) => [index("api_keys_org_created").on(t.organizationId, t.createdAt, t.id)],
);

export const models = pgTable(
  "models",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    /** Hugging Face repo id, e.g. "Qwen/Qwen2.5-0.5B-Instruct"; what GPU hosts serve. */
    modelId: text("model_id").notNull().unique(),
    name: text("name").notNull(),
    isActive: boolean("is_active").notNull().default(true),
    priceInputPer1k: numeric("price_input_per_1k", { precision: 12, scale: 6 }).notNull().default("0"),
    priceOutputPer1k: numeric("price_output_per_1k", { precision: 12, scale: 6 }).notNull().default("0"),
    /** Transcriptions and translations: per second of audio in. */
    pricePerAudioSecond: numeric("price_per_audio_second", { precision: 12, scale: 6 }).notNull().default("0"),
    /** Speech: per character of text in. */
    pricePerCharacter: numeric("price_per_character", { precision: 12, scale: 6 }).notNull().default("0"),
    contextLength: integer("context_length"),
    createdAt: createdAt(),
  },
  (t) => [
    check("models_price_input_non_negative", sql`${t.priceInputPer1k} >= 0`),
    check("models_price_output_non_negative", sql`${t.priceOutputPer1k} >= 0`),
    check("models_price_audio_second_non_negative", sql`${t.pricePerAudioSecond} >= 0`),
    check("models_price_character_non_negative", sql`${t.pricePerCharacter} >= 0`),
  ],
);

/** An organization's offering of a model, addressed as `org_slug/code`. */
export const organizationModels = pgTable(
  "organization_models",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    organizationId: uuid("organization_id")
      .notNull()
      .references(() => organizations.id),
    modelId: uuid("model_id")
      .notNull()
      .references(() => models.id),
    code: text("code").notNull(),
    active: boolean("active").notNull().default(true),
    /** Null: the model's own price applies. */
    priceInputPer1k: numeric("price_input_per_1k", { precision: 12, scale: 6 }),
    priceOutputPer1k: numeric("price_output_per_1k", { precision: 12, scale: 6 }),
    pricePerAudioSecond: numeric("price_per_audio_second", { precision: 12, scale: 6 }),
    pricePerCharacter: numeric("price_per_character", { precision: 12, scale: 6 }),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex("organization_models_org_code").on(t.organizationId, t.code),
    // Null passes a CHECK: no override.
    check("organization_models_price_input_non_negative", sql`${t.priceInputPer1k} >= 0`),
    check("organization_models_price_output_non_negative", sql`${t.priceOutputPer1k} >= 0`),
    check("organization_models_price_audio_second_non_negative", sql`${t.pricePerAudioSecond} >= 0`),
    check("organization_models_price_character_non_negative", sql`${t.pricePerCharacter} >= 0`),
  ],
);

/** GPU hosts. `status` is the control plane's word; `worker_*` is what the host last reported. */
export const instances = pgTable(
  "instances",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    organizationId: uuid("organization_id")
      .notNull()
      .references(() => organizations.id),
    modelId: uuid("model_id")
      .notNull()
      .references(() => models.id),
    provider: text("provider", { enum: instanceProviders }).notNull().default("static"),
    baseUrl: text("base_url").notNull(),
    status: text("status", { enum: instanceStatuses }).notNull().default("booting"),
    workerTokenHash: text("worker_token_hash").notNull().unique(),
    workerId: text("worker_id"),
    workerStatus: text("worker_status"),
    workerModelId: text("worker_model_id"),
    workerQueueDepth: integer("worker_queue_depth").notNull().default(0),
    workerLastHeartbeat: timestamp("worker_last_heartbeat", { withTimezone: true }),
    gpuUtilization: real("gpu_utilization"),
    gpuMemUsedMb: integer("gpu_mem_used_mb"),
    /** The host's own vLLM --api-key, AES-GCM sealed (worker/hosts/host-key.ts); never returned. */
    hostApiKeySealed: text("host_api_key_sealed"),
    /** Why the router's probes set `failed` (another model listed, the key refused). */
    failureReason: text("failure_reason"),
    /** As the host runs vLLM (`--max-num-seqs`), when the operator says: routing's slot count for it. */
    maxNumSeqs: integer("max_num_seqs"),
    createdAt: createdAt(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index("instances_model_status").on(t.modelId, t.status)],
);

export const instanceRequestMetrics = pgTable("instance_request_metrics", {
  instanceId: uuid("instance_id")
    .primaryKey()
    .references(() => instances.id),
  totalRequests: counter("total_requests"),
  successfulRequests: counter("successful_requests"),
  failedRequests: counter("failed_requests"),
  abortedRequests: counter("aborted_requests"),
  totalInputTokens: counter("total_input_tokens"),
  totalOutputTokens: counter("total_output_tokens"),
  totalTokens: counter("total_tokens"),
  // The seed's SQL reads these names; they mirror the totals.
  inputTokens: bigint("input_tokens", { mode: "number" }).generatedAlwaysAs(sql`total_input_tokens`),
  outputTokens: bigint("output_tokens", { mode: "number" }).generatedAlwaysAs(sql`total_output_tokens`),
  firstRequestAt: timestamp("first_request_at", { withTimezone: true }),
  lastRequestAt: timestamp("last_request_at", { withTimezone: true }),
});

export const finops = pgSchema("finops");

/** One row per request, keyed by request id so a replayed event changes nothing. */
export const inferenceUsage = finops.table(
  "inference_usage",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    requestId: text("request_id").notNull().unique(),
    occurredAt: timestamp("occurred_at", { withTimezone: true }).notNull(),
    apiKeyId: uuid("api_key_id").references(() => apiKeys.id),
    consumerOrganizationId: uuid("consumer_organization_id").references(() => organizations.id),
    organizationModelId: uuid("organization_model_id").references(() => organizationModels.id),
    modelId: uuid("model_id")
      .notNull()
      .references(() => models.id),
    instanceId: uuid("instance_id").references(() => instances.id),
    endpoint: text("endpoint").notNull(),
    kind: text("kind", { enum: usageKinds }).notNull().default("generation"),
    status: text("status", { enum: usageStatuses }).notNull(),
    // bigint: a request's counts are capped at 2^31 - 1 each (usage/event.ts), their sum is not.
    inputTokens: bigint("input_tokens", { mode: "number" }).notNull().default(0),
    outputTokens: bigint("output_tokens", { mode: "number" }).notNull().default(0),
    totalTokens: bigint("total_tokens", { mode: "number" }).notNull().default(0),
    /** True when the host reported no usage and the router estimated it. */
    usageEstimated: boolean("usage_estimated").notNull().default(false),
    unitPriceInputPer1k: numeric("unit_price_input_per_1k", { precision: 12, scale: 6 }).notNull(),
    unitPriceOutputPer1k: numeric("unit_price_output_per_1k", { precision: 12, scale: 6 }).notNull(),
    /** Transcription and translation rows: seconds of audio in (millisecond precision). */
    audioSeconds: numeric("audio_seconds", { precision: 12, scale: 3 }).notNull().default("0"),
    /** Speech rows: characters of text in. */
    inputCharacters: bigint("input_characters", { mode: "number" }).notNull().default(0),
    unitPricePerAudioSecond: numeric("unit_price_per_audio_second", { precision: 12, scale: 6 }).notNull().default("0"),
    unitPricePerCharacter: numeric("unit_price_per_character", { precision: 12, scale: 6 }).notNull().default("0"),
    // Room for the largest counts at the largest price (2 × 2^31 tokens × 999999.999999 per 1k, plus
    // 2^31 characters or 2^31 ms of audio at the largest unit price).
    chargedAmount: numeric("charged_amount", { precision: 24, scale: 8 }).notNull(),
    currency: text("currency").notNull().default("USD"),
    metadata: jsonb("metadata").$type<Record<string, unknown>>().notNull().default({}),
    createdAt: createdAt(),
  },
  (t) => [
    index("inference_usage_created_at").on(t.createdAt),
    // GET /usage and GET /usage/requests (keyset on occurred_at, id) within an organization.
    index("inference_usage_org_occurred").on(t.consumerOrganizationId, t.occurredAt, t.id),
    index("inference_usage_api_key_occurred").on(t.apiKeyId, t.occurredAt),
    index("inference_usage_instance_occurred").on(t.instanceId, t.occurredAt),
    // Operators look a request up by the id the client saw (request_id is the router's own).
    index("inference_usage_x_request_id").on(sql`(${t.metadata}->>'x_request_id')`),
  ],
);

/** Models seen in traffic, by Hugging Face id. */
export const runtimeModels = pgTable("runtime_models", {
  modelId: text("model_id").primaryKey(),
  firstSeenAt: timestamp("first_seen_at", { withTimezone: true }).notNull(),
  lastSeenAt: timestamp("last_seen_at", { withTimezone: true }).notNull(),
  totalRequests: counter("total_requests"),
  failedRequests: counter("failed_requests"),
});

/** The router's "conversations": one row per (organization, X-Inventiv-Session). */
export const chatSessions = pgTable(
  "chat_sessions",
  {
    organizationId: uuid("organization_id")
      .notNull()
      .references(() => organizations.id),
    sessionKey: text("session_key").notNull(),
    modelId: uuid("model_id").references(() => models.id),
    instanceId: uuid("instance_id").references(() => instances.id),
    requestCount: counter("request_count"),
    totalTokens: counter("total_tokens"),
    createdAt: createdAt(),
    lastUsedAt: timestamp("last_used_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.organizationId, t.sessionKey] }),
    // The session list pages by (created_at, session_key) descending within an organization.
    index("chat_sessions_org_created").on(t.organizationId, t.createdAt, t.sessionKey),
  ],
);

/**
 * What /metrics exposes as counters, bumped by the usage writer in the same statement as the
 * ledger rows it inserted: exactly once per request, whichever isolate served it. One row per
 * (organization, model, HTTP status, outcome); durations in whole milliseconds (exact sums).
 */
export const usageCounters = finops.table(
  "usage_counters",
  {
    organizationId: uuid("organization_id")
      .notNull()
      .references(() => organizations.id),
    /** Hugging Face id, as the ledger's `metadata.model`. */
    model: text("model").notNull(),
    httpStatus: integer("http_status").notNull(),
    outcome: text("outcome", { enum: usageStatuses }).notNull(),
    requests: counter("requests"),
    inputTokens: counter("input_tokens"),
    outputTokens: counter("output_tokens"),
    chargedAmount: numeric("charged_amount", { precision: 30, scale: 8 }).notNull().default("0"),
    durationMsSum: counter("duration_ms_sum"),
    ttftCount: counter("ttft_count"),
    ttftMsSum: counter("ttft_ms_sum"),
  },
  (t) => [primaryKey({ columns: [t.organizationId, t.model, t.httpStatus, t.outcome] })],
);

/** Per-bucket (not cumulative) counts of the latency histograms, bumped with usage_counters. */
export const usageHistogramBuckets = finops.table(
  "usage_histogram_buckets",
  {
    organizationId: uuid("organization_id")
      .notNull()
      .references(() => organizations.id),
    model: text("model").notNull(),
    histogram: text("histogram", { enum: latencyHistograms }).notNull(),
    /** The bucket's upper bound in milliseconds; -1 for +Inf. */
    leMs: integer("le_ms").notNull(),
    count: counter("count"),
  },
  (t) => [primaryKey({ columns: [t.organizationId, t.model, t.histogram, t.leMs] })],
);
