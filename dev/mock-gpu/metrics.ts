// Read-only vLLM endpoints derived from host state: GET /metrics and GET /v1/models.
import { randomUUID } from "node:crypto";
import type { HostState } from "./state";

/** Pretend KV-cache fill: 5% per running request, capped at 100%. */
export function kvCacheUsage(running: number): number {
  return Math.min(1, running * 0.05);
}

/** Prometheus text as vLLM's /metrics names it (running = in flight; waiting = reported excess). */
export function metricsText(state: HostState, model: string): string {
  const label = `{model_name="${model.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"}`;
  const running = state.inflight;
  const waiting = Math.max(0, state.queueDepth - running);
  const s = state.snapshot();
  // completed includes error answers; errors also counts cuts, which never complete.
  const successes = s.completed - (s.errors - s.cut);
  const metric = (name: string, type: "gauge" | "counter", help: string, value: number): string =>
    `# HELP ${name} ${help}\n# TYPE ${name} ${type}\n${name}${label} ${value}\n`;
  return (
    metric("vllm:num_requests_running", "gauge", "Number of requests in model execution batches.", running) +
    metric("vllm:num_requests_waiting", "gauge", "Number of requests waiting to be processed.", waiting) +
    metric("vllm:kv_cache_usage_perc", "gauge", "KV-cache usage. 1 means 100 percent usage.", kvCacheUsage(running)) +
    metric("vllm:prompt_tokens_total", "counter", "Number of prefill tokens processed.", s.promptTokens) +
    metric("vllm:generation_tokens_total", "counter", "Number of generation tokens processed.", s.tokensGenerated) +
    metric("vllm:request_success_total", "counter", "Count of successfully processed requests.", successes)
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
