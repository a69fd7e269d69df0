// Figures of one policy's run: latency (mean and p99 of time to first token and end to end), how far the
// busiest host went over its fair share of a burst, and how often sessions kept their host.
import type { Outcome, Run } from "./simulate";

export interface PolicySummary {
  requests: number;
  mean_e2e_ms: number;
  p99_e2e_ms: number;
  mean_ttft_ms: number;
  p99_ttft_ms: number;
  /** Worst burst: the busiest host's share of the fleet's backlog as the burst ends, over its fair share. */
  max_burst_share: number;
  /** Follow-up turns served where the previous turn ran, 0–1. */
  affinity_kept: number;
  repins: number;
  repin_reasons: Record<string, number>;
  /** Share of all tokens each host served, by host id. */
  host_share: Record<string, number>;
}

export interface Timeline {
  windowS: number;
  t: number[];
  p99E2eMs: (number | null)[];
  meanTtftMs: (number | null)[];
}

const round = (v: number, digits = 1): number => Number(v.toFixed(digits));

export function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
}

const mean = (v: readonly number[]): number => (v.length === 0 ? 0 : v.reduce((a, b) => a + b, 0) / v.length);
const tokensOf = (o: Outcome): number => o.request.promptTokens + o.request.outputTokens;

/**
 * Herding shows as one host holding far more than its share of the work when a burst has just landed: at each
 * burst's last arrival, each host's backlog (output tokens still to generate) over the fleet's, divided by its
 * fair share; the worst host of the worst burst.
 */
function maxBurstShare(backlogs: readonly number[][], fair: readonly number[]): number {
  let worst = 0;
  for (const perHost of backlogs) {
    const total = perHost.reduce((a, b) => a + b, 0);
    if (total > 0) for (const [h, t] of perHost.entries()) worst = Math.max(worst, t / total / fair[h]!);
  }
  return round(worst, 2);
}

export function summarize(run: Run, hostIds: readonly string[], fair: number[]): PolicySummary {
  const outcomes = run.outcomes;
  const e2e = outcomes.map((o) => o.e2eMs).sort((a, b) => a - b);
  const ttft = outcomes.map((o) => o.ttftMs).sort((a, b) => a - b);
  const followUps = outcomes.filter((o) => o.keptAffinity !== null);
  const reasons: Record<string, number> = {};
  for (const o of outcomes) if (o.repin) reasons[o.repin] = (reasons[o.repin] ?? 0) + 1;
  const hostTokens = hostIds.map(() => 0);
  for (const o of outcomes) hostTokens[o.host]! += tokensOf(o);
  const totalTokens = hostTokens.reduce((a, b) => a + b, 0);
  return {
    requests: outcomes.length,
    mean_e2e_ms: round(mean(e2e)),
    p99_e2e_ms: round(percentile(e2e, 0.99)),
    mean_ttft_ms: round(mean(ttft)),
    p99_ttft_ms: round(percentile(ttft, 0.99)),
    max_burst_share: maxBurstShare(run.burstBacklogs, fair),
    affinity_kept: round(followUps.filter((o) => o.keptAffinity).length / Math.max(1, followUps.length), 3),
    repins: followUps.filter((o) => !o.keptAffinity).length,
    repin_reasons: reasons,
    host_share: Object.fromEntries(hostIds.map((id, h) => [id, round(hostTokens[h]! / totalTokens, 3)])),
  };
}

/** p99 end to end and mean time to first token per window of arrivals, for the plot. */
export function timeline(outcomes: readonly Outcome[], durationS: number, windowS: number): Timeline {
  const n = Math.ceil(durationS / windowS);
  const e2e: number[][] = Array.from({ length: n }, () => []);
  const ttft: number[][] = Array.from({ length: n }, () => []);
  for (const o of outcomes) {
    const w = Math.min(n - 1, Math.floor(o.request.atMs / 1000 / windowS));
    e2e[w]!.push(o.e2eMs);
    ttft[w]!.push(o.ttftMs);
  }
  return {
    windowS,
    t: Array.from({ length: n }, (_, i) => i * windowS),
    p99E2eMs: e2e.map((v) =>
      v.length
        ? round(
            percentile(
              [...v].sort((a, b) => a - b),
              0.99,
            ),
          )
        : null,
    ),
    meanTtftMs: ttft.map((v) => (v.length ? round(mean(v)) : null)),
  };
}
