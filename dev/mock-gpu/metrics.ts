// Read-only vLLM endpoints derived from host state: GET /metrics and GET /v1/models.
import { randomUUID } from "node:crypto";
import type { HostState } from "./state";

/** Pretend KV-cache fill: 5% per running request on an engine, capped at 100%. */
export function kvCacheUsage(running: number): number {
  return Math.min(1, running * 0.05);
}

/** `total` spread over `engines` as data-parallel vLLM balances it: engine 0 takes the remainder first. */
export function perEngine(total: number, engines: number): number[] {
  return Array.from({ length: engines }, (_, i) => Math.floor(total / engines) + (i < total % engines ? 1 : 0));
}

/**
 * Prometheus text as vLLM's /metrics names it, one series per engine (`engine` label, as vLLM ≥ 0.10 with
 * data parallelism): running = in the batch (in flight, up to maxNumSeqs), waiting = the depth beyond it;
 * counters on engine 0.
 */
export function metricsText(state: HostState, model: string, engines: number): string {
  const name = model.replaceAll("\\", "\\\\").replaceAll('"', '\\"');
  const label = (engine: number) => `{engine="${engine}",model_name="${name}"}`;
  const running = perEngine(state.running, engines);
  const waiting = perEngine(Math.max(0, state.queueDepth - state.running), engines);
  const s = state.snapshot();
  // completed includes error answers; errors also counts cuts, which never complete.
  const successes = s.completed - (s.errors - s.cut);
  const family = (metric: string, type: "gauge" | "counter", help: string, values: number[]): string =>
    `# HELP ${metric} ${help}\n# TYPE ${metric} ${type}\n${values.map((v, i) => `${metric}${label(i)} ${v}\n`).join("")}`;
  const onEngine0 = (v: number) => [v, ...Array<number>(engines - 1).fill(0)];
  return (
    family("vllm:num_requests_running", "gauge", "Number of requests in model execution batches.", running) +
    family("vllm:num_requests_waiting", "gauge", "Number of requests waiting to be processed.", waiting) +
    family(
      "vllm:kv_cache_usage_perc",
      "gauge",
      "KV-cache usage. 1 means 100 percent usage.",
      running.map(kvCacheUsage),
    ) +
    family("vllm:prompt_tokens_total", "counter", "Number of prefill tokens processed.", onEngine0(s.promptTokens)) +
    family(
      "vllm:generation_tokens_total",
      "counter",
      "Number of generation tokens processed.",
      onEngine0(s.tokensGenerated),
    ) +
    family("vllm:request_success_total", "counter", "Count of successfully processed requests.", onEngine0(successes))
  );
}

const STARTED = Math.floor(Date.now() / 1000);

export function modelsList(model: string, maxModelLen: number): unknown {
  return {
    object: "list",
    data: [
      {
        id: model,
        object: "model",
        created: STARTED,
        owned_by: "vllm",
        root: model,
        parent: null,
        max_model_len: maxModelLen,
        permission: [
          {
            id: `modelperm-${randomUUID().replaceAll("-", "")}`,
            object: "model_permission",
            created: STARTED,
            allow_create_engine: false,
            allow_sampling: true,
            allow_logprobs: true,
            allow_search_indices: false,
            allow_view: true,
            allow_fine_tuning: false,
            organization: "*",
            group: null,
            is_blocking: false,
          },
        ],
      },
    ],
  };
}
