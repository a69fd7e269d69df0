// The finops schema: the usage ledger and the counters and histograms /metrics exposes.
import { sql } from "drizzle-orm";
import {
  bigint,
  boolean,
  index,
  integer,
  jsonb,
  numeric,
  pgSchema,
  primaryKey,
  text,
  timestamp,
  uuid,
} from "drizzle-orm/pg-core";
import { models, organizationModels } from "./catalog";
import { counter, createdAt } from "./columns";
import { instances } from "./fleet";
import { apiKeys, organizations } from "./tenants";
import { latencyHistograms, usageKinds, usageStatuses } from "./values";

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
