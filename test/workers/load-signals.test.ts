// vLLM /metrics text → load signals, through the Prometheus parser, inside workerd.
import { describe, expect, it } from "vitest";
import { readLoadSignals } from "../../worker/probes/load-signals";

const M = 'model_name="Qwen/Qwen2.5-0.5B-Instruct"';

// Shaped like vLLM 0.11's /metrics with two data-parallel engines (trimmed), histograms and info metrics included.
const VLLM_TWO_ENGINES = `# HELP python_gc_objects_collected_total Objects collected during gc
# TYPE python_gc_objects_collected_total counter
python_gc_objects_collected_total{generation="0"} 12345.0
# HELP vllm:num_requests_running Number of requests in model execution batches.
# TYPE vllm:num_requests_running gauge
vllm:num_requests_running{engine="0",${M}} 3.0
vllm:num_requests_running{engine="1",${M}} 2.0
# HELP vllm:num_requests_waiting Number of requests waiting to be processed.
# TYPE vllm:num_requests_waiting gauge
vllm:num_requests_waiting{engine="0",${M}} 4.0
vllm:num_requests_waiting{engine="1",${M}} 1.0
# HELP vllm:kv_cache_usage_perc KV-cache usage. 1 means 100 percent usage.
# TYPE vllm:kv_cache_usage_perc gauge
vllm:kv_cache_usage_perc{engine="0",${M}} 0.42
vllm:kv_cache_usage_perc{engine="1",${M}} 0.81
# HELP vllm:cache_config_info Information of the LLMEngine CacheConfig
# TYPE vllm:cache_config_info gauge
vllm:cache_config_info{block_size="16",engine="0",gpu_memory_utilization="0.9"} 1.0
# HELP vllm:time_to_first_token_seconds Histogram of time to first token in seconds.
# TYPE vllm:time_to_first_token_seconds histogram
vllm:time_to_first_token_seconds_bucket{engine="0",le="0.001",${M}} 0.0
vllm:time_to_first_token_seconds_bucket{engine="0",le="+Inf",${M}} 7.0
vllm:time_to_first_token_seconds_count{engine="0",${M}} 7.0
vllm:time_to_first_token_seconds_sum{engine="0",${M}} 0.35
# HELP vllm:prompt_tokens_total Number of prefill tokens processed.
# TYPE vllm:prompt_tokens_total counter
vllm:prompt_tokens_total{engine="0",${M}} 1200.0
# HELP vllm:prompt_tokens_created Number of prefill tokens processed.
# TYPE vllm:prompt_tokens_created gauge
vllm:prompt_tokens_created{engine="0",${M}} 1.7e+09
`;

describe("readLoadSignals", () => {
  it("sums waiting and running over the engine series and takes the fullest engine's KV usage", () => {
    expect(readLoadSignals(VLLM_TWO_ENGINES)).toEqual({ waiting: 5, running: 5, kvUsage: 0.81 });
  });

  it("reads the older gpu_cache gauge when kv_cache is absent", () => {
    const text = `vllm:num_requests_waiting{${M}} 0\nvllm:num_requests_running{${M}} 1\nvllm:gpu_cache_usage_perc{${M}} 0.3\n`;
    expect(readLoadSignals(text)).toEqual({ waiting: 0, running: 1, kvUsage: 0.3 });
  });

  it("reads the underscore forms of old versions", () => {
    const text = "vllm_num_requests_waiting 6\nvllm_num_requests_running 2\nvllm_kv_cache_usage_perc 0.5\n";
    expect(readLoadSignals(text)).toEqual({ waiting: 6, running: 2, kvUsage: 0.5 });
  });

  it("takes the first name present, never both forms of one gauge", () => {
    const text = `vllm:num_requests_waiting{${M}} 2\nvllm_num_requests_waiting 9\nvllm:num_requests_running{${M}} 0\n`;
    expect(readLoadSignals(text)).toEqual({ waiting: 2, running: 0, kvUsage: null });
  });

  it("counts a missing queue gauge as 0 and no KV gauge as unknown", () => {
    expect(readLoadSignals(`vllm:num_requests_running{${M}} 4\n`)).toEqual({ waiting: 0, running: 4, kvUsage: null });
  });

  it("returns null for text that is not vLLM's or not Prometheus at all", () => {
    expect(readLoadSignals("# TYPE process_cpu_seconds_total counter\nprocess_cpu_seconds_total 3.2\n")).toBeNull();
    expect(readLoadSignals("<html>Bad gateway</html>")).toBeNull();
    expect(readLoadSignals("")).toBeNull();
  });

  it("ignores NaN samples and clamps KV usage to 0..1", () => {
    const text = `vllm:num_requests_waiting{engine="0"} NaN\nvllm:num_requests_waiting{engine="1"} 3\nvllm:kv_cache_usage_perc 1.7\n`;
    expect(readLoadSignals(text)).toEqual({ waiting: 3, running: 0, kvUsage: 1 });
  });
});
