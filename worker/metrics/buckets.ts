// The latency histograms' buckets, in milliseconds. From vLLM's and LiteLLM's ranges: a millisecond
// (a cached or tiny answer) to minutes (a long generation on a loaded host). Changing a list splits
// the stored counts (usage_histogram_buckets is keyed by bound): append bounds, never move them.
import type { LatencyHistogram } from "../../schema";

export const BUCKETS_MS: Record<LatencyHistogram, readonly number[]> = {
  // vLLM's time_to_first_token_seconds, up to 80 s.
  ttft: [1, 5, 10, 20, 40, 60, 80, 100, 250, 500, 750, 1_000, 2_500, 5_000, 7_500, 10_000, 20_000, 40_000, 80_000],
  // LiteLLM's request latency from 5 ms, vLLM's e2e_request_latency up to 10 minutes.
  duration: [
    5, 10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 15_000, 20_000, 30_000, 60_000, 120_000, 300_000,
    600_000,
  ],
};

/** The bound marking the +Inf bucket in storage. */
export const INF_MS = -1;

/** The smallest bound a value falls under (Prometheus buckets are `le`: inclusive). */
export function bucketOf(histogram: LatencyHistogram, valueMs: number): number {
  return BUCKETS_MS[histogram].find((le) => valueMs <= le) ?? INF_MS;
}

/** A bound as Prometheus writes it: seconds, or "+Inf". */
export const leLabel = (leMs: number): string => (leMs === INF_MS ? "+Inf" : String(leMs / 1000));
