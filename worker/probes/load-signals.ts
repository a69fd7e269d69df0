// Load signals from a vLLM host's GET /metrics (Prometheus text): requests waiting and running, summed over
// the `engine` label series (data parallelism), and KV-cache usage, the fullest engine's.
import parsePrometheusTextFormat, { type PrometheusFamily } from "parse-prometheus-text-format";

export interface LoadSample {
  waiting: number;
  running: number;
  /** 0..1; null when the host exports no KV-cache gauge. */
  kvUsage: number | null;
}

// The first name present wins: vLLM renamed gpu_cache → kv_cache, and old versions used underscores.
const WAITING = ["vllm:num_requests_waiting", "vllm_num_requests_waiting"];
const RUNNING = ["vllm:num_requests_running", "vllm_num_requests_running"];
const KV_USAGE = [
  "vllm:kv_cache_usage_perc",
  "vllm:gpu_cache_usage_perc",
  "vllm_kv_cache_usage_perc",
  "vllm_gpu_cache_usage_perc",
];

/** Values of the first of `names` that has a sample, one per series; undefined when none does. */
function seriesOf(families: ReadonlyMap<string, PrometheusFamily>, names: readonly string[]): number[] | undefined {
  for (const name of names) {
    const values = (families.get(name)?.metrics ?? []).map((s) => Number(s.value)).filter(Number.isFinite);
    if (values.length > 0) return values;
  }
  return undefined;
}

/**
 * The load vLLM's /metrics text shows, or null when it shows neither queue (not vLLM, or unparseable).
 * A host that exports one queue gauge but not the other counts the missing one as 0.
 */
export function readLoadSignals(text: string): LoadSample | null {
  let parsed: PrometheusFamily[];
  try {
    parsed = parsePrometheusTextFormat(text);
  } catch {
    return null;
  }
  const families = new Map(parsed.map((f) => [f.name, f]));
  const waiting = seriesOf(families, WAITING);
  const running = seriesOf(families, RUNNING);
  if (!waiting && !running) return null;
  const sum = (values: number[] = []) => Math.max(0, Math.round(values.reduce((a, b) => a + b, 0)));
  const kv = seriesOf(families, KV_USAGE);
  return {
    waiting: sum(waiting),
    running: sum(running),
    kvUsage: kv ? Math.min(1, Math.max(0, ...kv)) : null,
  };
}
