// The fleet: GPU hosts and their request counters.
import { sql } from "drizzle-orm";
import { bigint, index, integer, pgTable, real, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { models } from "./catalog";
import { counter, createdAt } from "./columns";
import { organizations } from "./tenants";
import { instanceProviders, instanceStatuses } from "./values";

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
