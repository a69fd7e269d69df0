// The /metrics families that come from the ledger's aggregated counters (usage_counters and
// usage_histogram_buckets, bumped exactly once per request by the usage writer). One query each.
import { eq, type SQL } from "drizzle-orm";
import { type LatencyHistogram, organizations, usageCounters, usageHistogramBuckets } from "../../schema";
import type { Db } from "../db";
import { fromE8, toE8 } from "../usage/amount";
import { BUCKETS_MS, INF_MS, leLabel } from "./buckets";
import { type Family, PREFIX, type Sample } from "./exposition";

interface HistogramTotals {
  org: string;
  model: string;
  count: number;
  sumMs: number;
  perBucket: Map<number, number>;
}

export async function ledgerFamilies(db: Db, organizationId: string | null): Promise<Family[]> {
  const byOrg = (
    column: typeof usageCounters.organizationId | typeof usageHistogramBuckets.organizationId,
  ): SQL | undefined => (organizationId === null ? undefined : eq(column, organizationId));
  const [counters, buckets] = await Promise.all([
    db
      .select({
        org: organizations.slug,
        model: usageCounters.model,
        httpStatus: usageCounters.httpStatus,
        outcome: usageCounters.outcome,
        requests: usageCounters.requests,
        input: usageCounters.inputTokens,
        output: usageCounters.outputTokens,
        charged: usageCounters.chargedAmount,
        durationMsSum: usageCounters.durationMsSum,
        ttftCount: usageCounters.ttftCount,
        ttftMsSum: usageCounters.ttftMsSum,
      })
      .from(usageCounters)
      .innerJoin(organizations, eq(organizations.id, usageCounters.organizationId))
      .where(byOrg(usageCounters.organizationId))
      .orderBy(organizations.slug, usageCounters.model, usageCounters.httpStatus, usageCounters.outcome),
    db
      .select({
        org: organizations.slug,
        model: usageHistogramBuckets.model,
        histogram: usageHistogramBuckets.histogram,
        leMs: usageHistogramBuckets.leMs,
        count: usageHistogramBuckets.count,
      })
      .from(usageHistogramBuckets)
      .innerJoin(organizations, eq(organizations.id, usageHistogramBuckets.organizationId))
      .where(byOrg(usageHistogramBuckets.organizationId)),
  ]);

  const requests: Sample[] = [];
  const tokens = new Map<string, { org: string; model: string; input: number; output: number }>();
  const cost = new Map<string, { org: string; model: string; e8: bigint }>();
  const histograms: Record<LatencyHistogram, Map<string, HistogramTotals>> = { duration: new Map(), ttft: new Map() };
  const histogramFor = (h: LatencyHistogram, org: string, model: string): HistogramTotals => {
    const key = `${org}\u0000${model}`;
    const found = histograms[h].get(key) ?? { org, model, count: 0, sumMs: 0, perBucket: new Map() };
    histograms[h].set(key, found);
    return found;
  };
  for (const r of counters) {
    const key = `${r.org}\u0000${r.model}`;
    requests.push({
      labels: { org: r.org, model: r.model, status: String(r.httpStatus), outcome: r.outcome },
      value: r.requests,
    });
    const t = tokens.get(key) ?? { org: r.org, model: r.model, input: 0, output: 0 };
    t.input += r.input;
    t.output += r.output;
    tokens.set(key, t);
    const c = cost.get(key) ?? { org: r.org, model: r.model, e8: 0n };
    c.e8 += toE8(r.charged);
    cost.set(key, c);
    const d = histogramFor("duration", r.org, r.model);
    d.count += r.requests;
    d.sumMs += r.durationMsSum;
    const f = histogramFor("ttft", r.org, r.model);
    f.count += r.ttftCount;
    f.sumMs += r.ttftMsSum;
  }
  for (const b of buckets) {
    const h = histogramFor(b.histogram, b.org, b.model);
    h.perBucket.set(b.leMs, (h.perBucket.get(b.leMs) ?? 0) + b.count);
  }

  return [
    {
      name: `${PREFIX}_requests_total`,
      help: "Requests metered in the ledger, by HTTP status and outcome (succeeded, failed, aborted, refused).",
      type: "counter",
      samples: requests,
    },
    {
      name: `${PREFIX}_tokens_total`,
      help: "Tokens metered in the ledger, by direction (input, output).",
      type: "counter",
      samples: [...tokens.values()].flatMap((t) => [
        { labels: { org: t.org, model: t.model, direction: "input" }, value: t.input },
        { labels: { org: t.org, model: t.model, direction: "output" }, value: t.output },
      ]),
    },
    {
      name: `${PREFIX}_cost_total`,
      help: "Amount charged in the ledger, in the ledger's currency.",
      type: "counter",
      samples: [...cost.values()].map((c) => ({ labels: { org: c.org, model: c.model }, value: Number(fromE8(c.e8)) })),
    },
    histogramFamily(
      `${PREFIX}_request_duration_seconds`,
      "From the request's arrival to its body's end, for every metered request.",
      "duration",
      histograms.duration,
    ),
    histogramFamily(
      `${PREFIX}_time_to_first_token_seconds`,
      "Streams: from the request's arrival to the host's first body bytes.",
      "ttft",
      histograms.ttft,
    ),
  ];
}

function histogramFamily(
  name: string,
  help: string,
  histogram: LatencyHistogram,
  totals: Map<string, HistogramTotals>,
): Family {
  const samples: Sample[] = [];
  for (const h of totals.values()) {
    if (h.count === 0) continue;
    const labels = { org: h.org, model: h.model };
    let cumulative = 0;
    for (const le of [...BUCKETS_MS[histogram], INF_MS]) {
      cumulative += h.perBucket.get(le) ?? 0;
      samples.push({ suffix: "_bucket", labels: { ...labels, le: leLabel(le) }, value: cumulative });
    }
    samples.push({ suffix: "_sum", labels, value: h.sumMs / 1000 }, { suffix: "_count", labels, value: h.count });
  }
  return { name, help, type: "histogram", samples };
}
