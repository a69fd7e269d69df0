// The /metrics counters, bumped inside the usage writer's transaction for the rows it has just
// inserted: the same exactly-once path as the ledger, so a replayed batch changes nothing here either.
import { sql } from "drizzle-orm";
import { type LatencyHistogram, usageCounters, usageHistogramBuckets } from "../../schema";
import type { Db } from "../db";
import { bucketOf } from "../metrics/buckets";
import { fromE8, toE8 } from "./amount";
import { eventCharge, type UsageEvent } from "./event";

type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0];

interface CounterTotals {
  organizationId: string;
  model: string;
  httpStatus: number;
  outcome: UsageEvent["status"];
  requests: number;
  input: number;
  output: number;
  /** Charged amount in units of 1e-8 (the ledger's scale): exact. */
  charged: bigint;
  durationMs: number;
  ttftCount: number;
  ttftMs: number;
}

const byKey = <T>(map: Map<string, T>): T[] =>
  [...map].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, v]) => v);

export async function bumpMetricCounters(tx: Tx, events: UsageEvent[]): Promise<void> {
  const counters = new Map<string, CounterTotals>();
  const buckets = new Map<
    string,
    { organizationId: string; model: string; histogram: LatencyHistogram; leMs: number; count: number }
  >();
  const bump = (organizationId: string, model: string, histogram: LatencyHistogram, valueMs: number) => {
    const leMs = bucketOf(histogram, valueMs);
    const key = `${organizationId}\u0000${model}\u0000${histogram}\u0000${leMs}`;
    const b = buckets.get(key) ?? { organizationId, model, histogram, leMs, count: 0 };
    b.count += 1;
    buckets.set(key, b);
  };
  for (const e of events) {
    const key = `${e.organizationId}\u0000${e.modelHfId}\u0000${e.httpStatus}\u0000${e.status}`;
    const t = counters.get(key) ?? {
      organizationId: e.organizationId,
      model: e.modelHfId,
      httpStatus: e.httpStatus,
      outcome: e.status,
      requests: 0,
      input: 0,
      output: 0,
      charged: 0n,
      durationMs: 0,
      ttftCount: 0,
      ttftMs: 0,
    };
    t.requests += 1;
    t.input += e.inputTokens;
    t.output += e.outputTokens;
    t.charged += toE8(eventCharge(e));
    t.durationMs += e.durationMs;
    bump(e.organizationId, e.modelHfId, "duration", e.durationMs);
    const ttft = e.ttftMs ?? null;
    if (ttft !== null) {
      t.ttftCount += 1;
      t.ttftMs += ttft;
      bump(e.organizationId, e.modelHfId, "ttft", ttft);
    }
    counters.set(key, t);
  }

  // Fixed key order, as for the ledger's other counters: two shards flushing at once cannot deadlock.
  for (const t of byKey(counters)) {
    const c = usageCounters;
    await tx
      .insert(c)
      .values({
        organizationId: t.organizationId,
        model: t.model,
        httpStatus: t.httpStatus,
        outcome: t.outcome,
        requests: t.requests,
        inputTokens: t.input,
        outputTokens: t.output,
        chargedAmount: fromE8(t.charged),
        durationMsSum: t.durationMs,
        ttftCount: t.ttftCount,
        ttftMsSum: t.ttftMs,
      })
      .onConflictDoUpdate({
        target: [c.organizationId, c.model, c.httpStatus, c.outcome],
        set: {
          requests: sql`${c.requests} + ${t.requests}`,
          inputTokens: sql`${c.inputTokens} + ${t.input}`,
          outputTokens: sql`${c.outputTokens} + ${t.output}`,
          chargedAmount: sql`${c.chargedAmount} + ${fromE8(t.charged)}::numeric`,
          durationMsSum: sql`${c.durationMsSum} + ${t.durationMs}`,
          ttftCount: sql`${c.ttftCount} + ${t.ttftCount}`,
          ttftMsSum: sql`${c.ttftMsSum} + ${t.ttftMs}`,
        },
      });
  }
  for (const b of byKey(buckets)) {
    const h = usageHistogramBuckets;
    await tx
      .insert(h)
      .values(b)
      .onConflictDoUpdate({
        target: [h.organizationId, h.model, h.histogram, h.leMs],
        set: { count: sql`${h.count} + ${b.count}` },
      });
  }
}
