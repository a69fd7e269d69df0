// Collects every response as a sample: HDR histograms per endpoint for the whole run, plus one
// small histogram per time window so the report can draw percentiles over time.
import { build, type Histogram } from "hdr-histogram-js";
import { ENDPOINT_NAMES, ENDPOINTS, type EndpointName } from "./endpoints";

export interface Sample {
  endpoint: EndpointName;
  /** ms since the run started, when the response ended (or failed). */
  endedAtMs: number;
  latencyMs: number;
  /** Streams: ms from sending the request to the first SSE event. */
  ttfcMs?: number;
  /** Set when the response failed validation; short, groupable ("503 no_worker_available"). */
  error?: string;
  /** Counted apart: neither a success nor an error (e.g. an endpoint not deployed yet, when allowed). */
  skipped?: string;
}

export interface LatencySummary {
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
}

export interface EndpointSummary {
  request: string;
  count: number;
  ok: number;
  errors: number;
  skipped: number;
  errorRate: number;
  rps: number;
  /** Successful responses only: a fast error must not make latency look good. */
  latency: LatencySummary | null;
  ttfc: LatencySummary | null;
  errorReasons: { reason: string; count: number }[];
  skipReasons: { reason: string; count: number }[];
}

export interface EndpointSeries {
  count: number[];
  errors: number[];
  p50: (number | null)[];
  p95: (number | null)[];
  p99: (number | null)[];
  ttfcP95: (number | null)[];
}

export interface Timeline {
  windowS: number;
  /** Window start, seconds since the run started. */
  t: number[];
  /** Highest virtual-user count seen in the window. */
  vus: number[];
  endpoints: Record<EndpointName, EndpointSeries>;
}

/** Latencies are recorded in microseconds; anything above 10 min is clamped. */
const MAX_US = 600_000_000;
export const histogram = (digits: 2 | 3): Histogram =>
  build({
    bitBucketSize: "packed",
    numberOfSignificantValueDigits: digits,
    lowestDiscernibleValue: 1,
    highestTrackableValue: MAX_US,
    autoResize: false,
  });
export const toUs = (ms: number): number => Math.min(MAX_US, Math.max(1, Math.round(ms * 1000)));

interface Window {
  count: number;
  errors: number;
  latency: Histogram;
  ttfc: Histogram;
}

class EndpointStats {
  readonly latency = histogram(3);
  readonly ttfc = histogram(3);
  count = 0;
  errors = 0;
  skipped = 0;
  readonly errorReasons = new Map<string, number>();
  readonly skipReasons = new Map<string, number>();
  readonly windows: Window[] = [];
}

export class Collector {
  private readonly stats = new Map<EndpointName, EndpointStats>(ENDPOINT_NAMES.map((n) => [n, new EndpointStats()]));
  private readonly vus: number[] = [];

  constructor(readonly windowMs: number) {}

  record(s: Sample): void {
    const st = this.stats.get(s.endpoint);
    if (!st) return;
    if (s.skipped !== undefined) {
      st.skipped += 1;
      bump(st.skipReasons, s.skipped);
      return;
    }
    const w = this.window(st, s.endedAtMs);
    st.count += 1;
    w.count += 1;
    if (s.error !== undefined) {
      st.errors += 1;
      w.errors += 1;
      bump(st.errorReasons, s.error);
      return;
    }
    st.latency.recordValue(toUs(s.latencyMs));
    w.latency.recordValue(toUs(s.latencyMs));
    if (s.ttfcMs !== undefined) {
      st.ttfc.recordValue(toUs(s.ttfcMs));
      w.ttfc.recordValue(toUs(s.ttfcMs));
    }
  }

  noteVus(elapsedMs: number, vus: number): void {
    const i = Math.floor(elapsedMs / this.windowMs);
    this.vus[i] = Math.max(this.vus[i] ?? 0, vus);
  }

  summary(durationS: number): Record<EndpointName, EndpointSummary> {
    const out = {} as Record<EndpointName, EndpointSummary>;
    for (const name of ENDPOINT_NAMES) {
      const st = this.stat(name);
      out[name] = {
        request: ENDPOINTS[name].request,
        count: st.count,
        ok: st.count - st.errors,
        errors: st.errors,
        skipped: st.skipped,
        errorRate: st.count > 0 ? st.errors / st.count : 0,
        rps: durationS > 0 ? st.count / durationS : 0,
        latency: summarize(st.latency),
        ttfc: summarize(st.ttfc),
        errorReasons: sorted(st.errorReasons),
        skipReasons: sorted(st.skipReasons),
      };
    }
    return out;
  }

  /** Responses per second of these endpoints over the windows lying wholly inside [fromS, toS). */
  rpsBetween(endpoints: EndpointName[], fromS: number, toS: number): number | null {
    const w = this.windowMs / 1000;
    const first = Math.ceil(fromS / w);
    const last = Math.floor(toS / w); // exclusive
    if (last <= first) return null;
    let n = 0;
    for (const name of endpoints) {
      const windows = this.stat(name).windows;
      for (let i = first; i < last; i++) n += windows[i]?.count ?? 0;
    }
    return n / ((last - first) * w);
  }

  timeline(durationS: number): Timeline {
    const w = this.windowMs / 1000;
    const n = Math.max(1, Math.ceil(durationS / w));
    const t = Array.from({ length: n }, (_, i) => i * w);
    const endpoints = {} as Record<EndpointName, EndpointSeries>;
    for (const name of ENDPOINT_NAMES) {
      const windows = this.stat(name).windows;
      const at = (i: number): Window | undefined => windows[i];
      const pct = (i: number, h: "latency" | "ttfc", p: number): number | null => {
        const win = at(i);
        return win && win[h].totalCount > 0 ? win[h].getValueAtPercentile(p) / 1000 : null;
      };
      endpoints[name] = {
        count: t.map((_, i) => at(i)?.count ?? 0),
        errors: t.map((_, i) => at(i)?.errors ?? 0),
        p50: t.map((_, i) => pct(i, "latency", 50)),
        p95: t.map((_, i) => pct(i, "latency", 95)),
        p99: t.map((_, i) => pct(i, "latency", 99)),
        ttfcP95: t.map((_, i) => pct(i, "ttfc", 95)),
      };
    }
    return { windowS: w, t, vus: t.map((_, i) => this.vus[i] ?? 0), endpoints };
  }

  private stat(name: EndpointName): EndpointStats {
    const st = this.stats.get(name);
    if (!st) throw new Error(`unknown endpoint ${name}`);
    return st;
  }

  private window(st: EndpointStats, atMs: number): Window {
    const i = Math.max(0, Math.floor(atMs / this.windowMs));
    for (let k = st.windows.length; k <= i; k++)
      st.windows.push({ count: 0, errors: 0, latency: histogram(2), ttfc: histogram(2) });
    const w = st.windows[i];
    if (!w) throw new Error("window not allocated");
    return w;
  }
}

function bump(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

function sorted(map: Map<string, number>): { reason: string; count: number }[] {
  return [...map.entries()].map(([reason, count]) => ({ reason, count })).sort((a, b) => b.count - a.count);
}

export function summarize(h: Histogram): LatencySummary | null {
  if (h.totalCount === 0) return null;
  const ms = (us: number): number => Math.round(us) / 1000;
  return {
    p50: ms(h.getValueAtPercentile(50)),
    p90: ms(h.getValueAtPercentile(90)),
    p95: ms(h.getValueAtPercentile(95)),
    p99: ms(h.getValueAtPercentile(99)),
    max: ms(h.maxValue),
    mean: ms(h.mean),
  };
}
