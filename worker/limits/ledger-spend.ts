// What a key or organization has been charged since a moment, from the ledger: where a budget's
// period starts. Read by the LimiterObject once per period (never per request).
import { and, eq, gte, sql } from "drizzle-orm";
import { inferenceUsage } from "../../schema";
import type { LimiterScope } from "../contracts";
import { withDb } from "../db";
import type { Env } from "../env";
import { toE8 } from "../usage/amount";

/** The spend in units of 1e-8, as a decimal string (a bigint's text). */
export async function ledgerSpendSince(env: Env, scope: LimiterScope, since: Date): Promise<string> {
  const owner =
    scope.kind === "key" ? eq(inferenceUsage.apiKeyId, scope.id) : eq(inferenceUsage.consumerOrganizationId, scope.id);
  const [row] = await withDb(env, (db) =>
    db
      .select({ total: sql<string>`coalesce(sum(${inferenceUsage.chargedAmount}), 0)::text` })
      .from(inferenceUsage)
      .where(and(owner, gte(inferenceUsage.occurredAt, since))),
  );
  return toE8(row?.total ?? "0").toString();
}
