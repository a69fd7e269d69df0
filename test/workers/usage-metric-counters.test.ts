// The /metrics counters the usage writer bumps in the ledger's statement: exact sums, histogram
// buckets by inclusive bound, and a replayed batch (or the replayed half of one) changes nothing.
import { env } from "cloudflare:test";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { usageCounters, usageHistogramBuckets } from "../../schema";
import { withDb } from "../../worker/db";
import { bucketOf, INF_MS } from "../../worker/metrics/buckets";
import type { UsageEvent } from "../../worker/usage/event";
import { writeUsageBatch } from "../../worker/usage/write-postgres";
import { type Ledger, newLedger, usageEvent } from "./support/usage-ledger";

const tenant = () => newLedger({ input: "0.1", output: "0.3" });
type Tenant = Ledger;
const event = (t: Tenant, over: Partial<UsageEvent>): UsageEvent =>
  usageEvent(t, { inputTokens: 7, outputTokens: 3, instanceId: null, durationMs: 100, ttftMs: null, ...over });

const read = (orgId: string) =>
  withDb(env, async (db) => ({
    counters: await db
      .select()
      .from(usageCounters)
      .where(eq(usageCounters.organizationId, orgId))
      .orderBy(usageCounters.httpStatus),
    buckets: await db
      .select()
      .from(usageHistogramBuckets)
      .where(eq(usageHistogramBuckets.organizationId, orgId))
      .orderBy(usageHistogramBuckets.histogram, usageHistogramBuckets.leMs),
  }));

describe("bucketOf", () => {
  it("puts a value on a bound in that bucket (le is inclusive), past the last in +Inf", () => {
    expect(bucketOf("duration", 5)).toBe(5);
    expect(bucketOf("duration", 6)).toBe(10);
    expect(bucketOf("duration", 0)).toBe(5);
    expect(bucketOf("duration", 600_000)).toBe(600_000);
    expect(bucketOf("duration", 600_001)).toBe(INF_MS);
    expect(bucketOf("ttft", 1)).toBe(1);
  });
});

describe("usage counters", () => {
  it("sum exactly per (model, status, outcome), and a replayed batch changes nothing", async () => {
    const t = await tenant();
    const batch = [
      event(t, { durationMs: 100, ttftMs: 40 }),
      event(t, { durationMs: 101, ttftMs: 41 }),
      event(t, { durationMs: 700_000 }),
      event(t, { status: "failed", httpStatus: 400, inputTokens: 0, outputTokens: 0, durationMs: 5 }),
    ];
    expect(await withDb(env, (db) => writeUsageBatch(db, batch))).toBe(4);
    const once = await read(t.orgId);
    expect(await withDb(env, (db) => writeUsageBatch(db, batch))).toBe(0);
    // Half old, half new: only the new one counts.
    expect(await withDb(env, (db) => writeUsageBatch(db, [batch[0]!, event(t, { durationMs: 250, ttftMs: 60 })]))).toBe(
      1,
    );
    const { counters, buckets } = await read(t.orgId);
    expect(once.counters.map((c) => c.requests)).toEqual([3, 1]);
    expect(counters).toEqual([
      {
        organizationId: t.orgId,
        model: t.modelHfId,
        httpStatus: 200,
        outcome: "succeeded",
        requests: 4,
        inputTokens: 28,
        outputTokens: 12,
        // 4 × (7 × 0.1 + 3 × 0.3) / 1000 = 0.0064
        chargedAmount: "0.00640000",
        durationMsSum: 100 + 101 + 700_000 + 250,
        ttftCount: 3,
        ttftMsSum: 40 + 41 + 60,
      },
      {
        organizationId: t.orgId,
        model: t.modelHfId,
        httpStatus: 400,
        outcome: "failed",
        requests: 1,
        inputTokens: 0,
        outputTokens: 0,
        chargedAmount: "0.00000000",
        durationMsSum: 5,
        ttftCount: 0,
        ttftMsSum: 0,
      },
    ]);
    expect(buckets.map((b) => [b.histogram, b.leMs, b.count])).toEqual([
      ["duration", INF_MS, 1],
      ["duration", 5, 1],
      ["duration", 100, 1],
      ["duration", 250, 2],
      ["ttft", 40, 1],
      ["ttft", 60, 2],
    ]);
  });
});
