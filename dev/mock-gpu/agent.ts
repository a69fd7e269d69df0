// Heartbeat agent, as a vLLM host's worker agent does it: register with the router, then heartbeat.
// The router may start after the host or restart: every failure is silent and retried on the next tick.
import type { WorkerStatus } from "./types";

export interface AgentOptions {
  router: string;
  instanceId: string;
  token: string;
  workerId: string;
  modelId: string;
  baseUrl: string;
  heartbeatMs: number;
  /** Live values, read at every send. */
  report: () => { status: WorkerStatus; queueDepth: number };
}

export interface WorkerReport {
  instance_id: string;
  worker_id: string;
  status: WorkerStatus;
  model_id: string;
  base_url: string;
  queue_depth: number;
  gpu_utilization: number;
  gpu_mem_used_mb: number;
  metadata: { provider: "mock" };
}

const REQUEST_TIMEOUT_MS = 5000;
/** Until registered, retry sooner than the heartbeat period so a late router is picked up fast. */
const REGISTER_RETRY_MS = 1000;

/** Synthetic GPU load that grows with the queue, so dashboards and routing see plausible numbers. */
function gpuLoad(depth: number): { util: number; memMb: number } {
  const util = depth > 0 ? Math.min(1, 0.35 + 0.08 * depth) : 0.02;
  return { util: Math.round(util * 100) / 100, memMb: 14_000 + 250 * Math.min(depth, 32) };
}

export class HeartbeatAgent {
  private registered = false;
  private timer: NodeJS.Timeout | undefined;
  private chain: Promise<void> = Promise.resolve();
  private readonly stopper = new AbortController();
  private readonly base: string;

  constructor(private readonly o: AgentOptions) {
    this.base = o.router.replace(/\/+$/, "");
  }

  start(): void {
    this.schedule(0);
  }

  /** One send now (register if not yet registered, else heartbeat), after any send in progress. */
  sendNow(): Promise<void> {
    this.chain = this.chain.then(() => this.tick());
    return this.chain;
  }

  stop(): void {
    this.stopper.abort();
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  report(): WorkerReport {
    const { status, queueDepth } = this.o.report();
    const load = gpuLoad(queueDepth);
    return {
      instance_id: this.o.instanceId,
      worker_id: this.o.workerId,
      status,
      model_id: this.o.modelId,
      base_url: this.o.baseUrl,
      queue_depth: queueDepth,
      gpu_utilization: load.util,
      gpu_mem_used_mb: load.memMb,
      metadata: { provider: "mock" },
    };
  }

  private schedule(ms: number): void {
    if (this.stopper.signal.aborted) return;
    this.timer = setTimeout(() => {
      void this.sendNow().then(() =>
        this.schedule(this.registered ? this.o.heartbeatMs : Math.min(REGISTER_RETRY_MS, this.o.heartbeatMs)),
      );
    }, ms);
    // The HTTP server keeps a CLI alive; the heartbeat timer alone must not keep a test process alive.
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    if (this.stopper.signal.aborted) return;
    const path = this.registered ? "heartbeat" : "register";
    const status = await this.post(`/internal/worker/${path}`);
    if (path === "register" && status >= 200 && status < 300) this.registered = true;
    // A router that lost its state (restart, eviction) forgets us: register again.
    if (path === "heartbeat" && status === 404) this.registered = false;
  }

  /** HTTP status, or 0 when the router could not be reached. Never throws. */
  private async post(path: string): Promise<number> {
    try {
      const res = await fetch(this.base + path, {
        method: "POST",
        headers: { authorization: `Bearer ${this.o.token}`, "content-type": "application/json" },
        body: JSON.stringify(this.report()),
        signal: AbortSignal.any([this.stopper.signal, AbortSignal.timeout(REQUEST_TIMEOUT_MS)]),
      });
      await res.arrayBuffer().catch(() => undefined); // drain so the connection can be reused
      return res.status;
    } catch {
      return 0;
    }
  }
}
