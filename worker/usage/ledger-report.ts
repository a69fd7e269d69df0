// Reading the ledger (finops.inference_usage) back for people: totals over time, breakdowns and the
// latest rows, always within one organization and, for a member's key, only that key's own rows.
import { and, desc, eq, gte, type SQL, sql } from "drizzle-orm";
import { apiKeys, inferenceUsage, instances, models, type UsageStatus } from "../../schema";
import type { Db } from "../db";

export interface LedgerScope {
  organizationId: string;
  /** Only this key's rows (a member sees its own usage). */
  apiKeyId?: string;
  since: Date;
}

const u = inferenceUsage;

function scoped(scope: LedgerScope, ...more: (SQL | undefined)[]) {
  return and(
    eq(u.consumerOrganizationId, scope.organizationId),
    gte(u.occurredAt, scope.since),
    scope.apiKeyId ? eq(u.apiKeyId, scope.apiKeyId) : undefined,
    ...more,
  );
}

export interface Totals {
  requests: number;
  failed: number;
  tokens: number;
  cost: string;
}

const totals = {
  requests: sql<number>`count(*)::int`,
  failed: sql<number>`(count(*) filter (where ${u.status} <> 'succeeded'))::int`,
  tokens: sql<number>`coalesce(sum(${u.totalTokens}), 0)::bigint`.mapWith(Number),
  cost: sql<string>`coalesce(sum(${u.chargedAmount}), 0)::text`,
};

/** One row per bucket that has traffic: its start (epoch ms) and totals. */
export function usageSeries(db: Db, scope: LedgerScope, bucketSeconds: number) {
  const start = sql<Date>`date_bin(${`${bucketSeconds} seconds`}::interval, ${u.occurredAt}, ${scope.since.toISOString()}::timestamptz)`;
  return (
    db
      .select({ bucket: start.mapWith((v: string | Date) => new Date(v).getTime()), ...totals })
      .from(u)
      .where(scoped(scope))
      // By position: the bucket expression carries parameters, and each copy would be a new one.
      .groupBy(sql`1`)
      .orderBy(sql`1`)
  );
}

export type Breakdown = "model" | "key" | "instance";

/** Totals per model, key or instance, the biggest spender first. */
export function usageBy(db: Db, scope: LedgerScope, by: Breakdown) {
  const label = {
    model: sql<string>`${models.modelId}`,
    key: sql<string>`coalesce(${apiKeys.name} || ' (' || ${apiKeys.keyPrefix} || '…)', 'unknown key')`,
    instance: sql<string>`coalesce(${instances.baseUrl}, 'no host')`,
  }[by];
  const q = db.select({ label, ...totals }).from(u);
  const joined =
    by === "model"
      ? q.innerJoin(models, eq(models.id, u.modelId))
      : by === "key"
        ? q.leftJoin(apiKeys, eq(apiKeys.id, u.apiKeyId))
        : q.leftJoin(instances, eq(instances.id, u.instanceId));
  return joined
    .where(scoped(scope))
    .groupBy(label)
    .orderBy(desc(sql`sum(${u.chargedAmount})`), label)
    .limit(50);
}

export interface RequestFilter {
  status?: UsageStatus;
  /** A Hugging Face id. */
  model?: string;
  limit: number;
}

/** The latest ledger rows, newest first. */
export function latestRequests(db: Db, scope: LedgerScope, filter: RequestFilter) {
  return db
    .select({
      requestId: u.requestId,
      occurredAt: u.occurredAt,
      endpoint: u.endpoint,
      status: u.status,
      model: models.modelId,
      key: apiKeys.name,
      host: instances.baseUrl,
      inputTokens: u.inputTokens,
      outputTokens: u.outputTokens,
      estimated: u.usageEstimated,
      cost: u.chargedAmount,
      clientRequestId: sql<string | null>`${u.metadata}->>'x_request_id'`,
    })
    .from(u)
    .innerJoin(models, eq(models.id, u.modelId))
    .leftJoin(apiKeys, eq(apiKeys.id, u.apiKeyId))
    .leftJoin(instances, eq(instances.id, u.instanceId))
    .where(
      scoped(
        scope,
        filter.status ? eq(u.status, filter.status) : undefined,
        filter.model ? eq(models.modelId, filter.model) : undefined,
      ),
    )
    .orderBy(desc(u.occurredAt), desc(u.requestId))
    .limit(filter.limit);
}
