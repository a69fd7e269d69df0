// The seed system's worker agent's bodies, exactly as it sends them (../shared/REFERENCE.md), for tests.
const MODEL = "Qwen/Qwen2.5-0.5B-Instruct";

/** Register: no status, no base URL (the host is http://<ip_address>:<vllm_port>); GPU and vLLM facts in metadata. */
export const seedRegister = (instanceId: string, ip: string, vllmPort: number, model = MODEL) => ({
  instance_id: instanceId,
  worker_id: "worker-gpu-01",
  model_id: model,
  vllm_port: vllmPort,
  health_port: 8080,
  ip_address: ip,
  metadata: {
    gpu_utilization: 12.5,
    gpu_mem_used_mb: 20480,
    gpu_mem_total_mb: 81920,
    gpu_temp_c: 41,
    gpus: [{ index: 0, name: "NVIDIA H100 80GB HBM3", utilization: 12.5 }],
    system: { cpu_percent: 3.1, mem_percent: 22.4 },
    vllm: { requests_waiting: 0, requests_running: 0, queue_depth: 0 },
  },
});

/** Heartbeat: status, queue_depth = waiting only (null when vLLM's /metrics did not answer), agent_info. */
export const seedHeartbeat = (instanceId: string, ip: string, model = MODEL, queueDepth: number | null = 2) => ({
  instance_id: instanceId,
  worker_id: "worker-gpu-01",
  status: "ready",
  model_id: model,
  queue_depth: queueDepth,
  gpu_utilization: 87.0,
  gpu_mem_used_mb: 70100,
  ip_address: ip,
  agent_info: { version: "1.4.2", build_date: "2025-11-02", checksum: "sha256:ab12" },
  metadata: {
    gpus: [{ index: 0 }, { index: 1 }],
    vllm: { requests_waiting: queueDepth ?? 0, requests_running: 6, queue_depth: queueDepth },
  },
});
