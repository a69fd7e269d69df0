// Usage and cost read back from the ledger (finops.inference_usage) for one organization — the one
// reader, for GET /usage, GET /usage/requests and the dashboard's charts and lists. The queries are
// built here and only awaited by their callers, so a test can EXPLAIN exactly what runs: each is
// served by the (consumer_organization_id, occurred_at, id) index, never a scan.
import { type AnyColumn, and, desc, eq, gte, lt, type SQL, sql } from "drizzle-orm";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import type * as schema from "../../schema";
import { apiKeys, inferenceUsage, instances, models, organizationModels, type UsageStatus } from "../../schema";

type AnyPg = PgDatabase<PgQueryResultHKT, typeof schema>;

export const usageGroups = ["model", "key", "instance", "offering", "day", "hour"] as const;
export type UsageGroup = (typeof usageGroups)[number];

export interface UsageWindow {
  organizationId: string;
  from: Date;
  to: Date;
  /** Only this key's rows (a member's key sees its own usage). */
  apiKeyId?: string;
}

const u = inferenceUsage;
const utc = (unit: "day" | "hour") =>
  sql<string>`to_char(date_trunc(${sql.raw(`'${unit}'`)}, ${u.occurredAt} at time zone 'UTC'), 'YYYY-MM-DD"T"HH24:MI:SS"Z"')`;

const groupExpression: Record<UsageGroup, SQL<string | null>> = {
  model: sql<string>`${models.modelId}`,
  key: sql<string | null>`${u.apiKeyId}::text`,
  instance: sql<string | null>`${u.instanceId}::text`,
  offering: sql<string | null>`${organizationModels.code}`,
  day: utc("day"),
  hour: utc("hour"),
};

/** What a person reads for a group: a key's name and prefix, a host's URL; else the group itself. */
const labelExpression: Partial<Record<UsageGroup, SQL<string>>> = {
  key: sql<string>`coalesce(${apiKeys.name} || ' (' || ${apiKeys.keyPrefix} || '…)', 'unknown key')`,
  instance: sql<string>`coalesce(${instances.baseUrl}, 'no host')`,
};

const inWindow = (w: UsageWindow) =>
  and(
    eq(u.consumerOrganizationId, w.organizationId),
    gte(u.occurredAt, w.from),
    lt(u.occurredAt, w.to),
    w.apiKeyId ? eq(u.apiKeyId, w.apiKeyId) : undefined,
  );

const bigSum = (column: AnyColumn) => sql<string>`coalesce(sum(${column}), 0)::text`;
const countWhere = (status: UsageStatus) => sql<number>`(count(*) filter (where ${u.status} = ${status}))::int`;

/** The totals every report shows: counts by outcome, tokens and cost, exact (sums as text). */
export interface UsageTotals {
  requests: number;
  succeeded: number;
  failed: number;
  aborted: number;
  refused: number;
  inputTokens: string;
  outputTokens: string;
  cost: string;
}

const totals: { [K in keyof UsageTotals]: SQL<UsageTotals[K]> } = {
  requests: sql<number>`count(*)::int`,
  succeeded: countWhere("succeeded"),
  failed: countWhere("failed"),
  aborted: countWhere("aborted"),
  refused: countWhere("refused"),
  inputTokens: bigSum(u.inputTokens),
  outputTokens: bigSum(u.outputTokens),
  cost: sql<string>`coalesce(sum(${u.chargedAmount}), 0)::text`,
};

/** Totals per group (or one row for the whole window), ordered by group; `label` names it for people. */
export function usageTotalsQuery(db: AnyPg, w: UsageWindow, groupBy: UsageGroup | null) {
  const group = groupBy ? groupExpression[groupBy] : sql<null>`null`;
  const label = (groupBy && labelExpression[groupBy]) ?? group;
  const query = db
    .select({ group, label, ...totals })
    .from(u)
    .$dynamic();
  if (groupBy === "model") query.innerJoin(models, eq(models.id, u.modelId));
  if (groupBy === "offering") query.leftJoin(organizationModels, eq(organizationModels.id, u.organizationModelId));
  if (groupBy === "key") query.leftJoin(apiKeys, eq(apiKeys.id, u.apiKeyId));
  if (groupBy === "instance") query.leftJoin(instances, eq(instances.id, u.instanceId));
  query.where(inWindow(w));
  return groupBy ? query.groupBy(group, label).orderBy(group) : query;
}

/** Totals per time bucket that has traffic, buckets of `bucketSeconds` from the window's start (epoch ms). */
export function usageSeriesQuery(db: AnyPg, w: UsageWindow, bucketSeconds: number) {
  const start = sql<Date>`date_bin(${`${bucketSeconds} seconds`}::interval, ${u.occurredAt}, ${w.from.toISOString()}::timestamptz)`;
  return (
    db
      .select({ bucket: start.mapWith((v: string | Date) => new Date(v).getTime()), ...totals })
      .from(u)
      .where(inWindow(w))
      // By position: the bucket expression carries parameters, and each copy would be a new one.
      .groupBy(sql`1`)
      .orderBy(sql`1`)
  );
}

export interface LedgerFilter extends UsageWindow {
  /** A Hugging Face id. */
  model?: string;
  status?: UsageStatus;
  /** The previous page's last row: its occurred_at (as Postgres printed it) and id. */
  before?: { occurredAt: string; id: string };
  limit: number;
}

/** Ledger rows, newest first, keyset-paged on (occurred_at, id); `limit + 1` rows tell whether more exist. */
export function ledgerQuery(db: AnyPg, f: LedgerFilter) {
  return db
    .select({
      id: u.id,
      requestId: u.requestId,
      occurredAtText: sql<string>`${u.occurredAt}::text`,
      occurredAt: u.occurredAt,
      apiKeyId: u.apiKeyId,
      keyName: apiKeys.name,
      model: models.modelId,
      offeringId: u.organizationModelId,
      offeringCode: organizationModels.code,
      instanceId: u.instanceId,
      host: instances.baseUrl,
      endpoint: u.endpoint,
      status: u.status,
      inputTokens: u.inputTokens,
      outputTokens: u.outputTokens,
      estimated: u.usageEstimated,
      cost: u.chargedAmount,
      currency: u.currency,
      metadata: u.metadata,
    })
    .from(u)
    .innerJoin(models, eq(models.id, u.modelId))
    .leftJoin(organizationModels, eq(organizationModels.id, u.organizationModelId))
    .leftJoin(apiKeys, eq(apiKeys.id, u.apiKeyId))
    .leftJoin(instances, eq(instances.id, u.instanceId))
    .where(
      and(
        inWindow(f),
        f.model ? eq(models.modelId, f.model) : undefined,
        f.status ? eq(u.status, f.status) : undefined,
        f.before
          ? sql`(${u.occurredAt}, ${u.id}) < (${f.before.occurredAt}::timestamptz, ${f.before.id}::uuid)`
          : undefined,
      ),
    )
    .orderBy(desc(u.occurredAt), desc(u.id))
    .limit(f.limit + 1);
}
