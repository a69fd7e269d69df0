// Mutable state of one mock host: counters, faults, and what the heartbeat agent reports.
import type { ServerResponse } from "node:http";
import { ResponseStore } from "./responses-store";
import type { Faults, MockStats, WorkerStatus } from "./types";

const RECENT_CAP = 100;

/** Per-request handle: generation loops poll `aborted` to stop at once when the client leaves. */
export interface Tracker {
  /** The response is over (client gone, cut, or finished): stop producing tokens. */
  readonly aborted: boolean;
  /** Destroy the connection on purpose (counted as `cut`, not `cancelled`). */
  cut(): void;
  /** Count an error (status >= 400 or an in-stream error). */
  error(): void;
  /** The first token is about to leave: the request is no longer prefilling. */
  firstToken(): void;
}

export class HostState {
  faults: Faults = {};
  /** Responses API objects this host made (vLLM keeps them in memory, per process). */
  readonly responses = new ResponseStore();
  workerStatus: WorkerStatus;
  reportedQueueDepth: number | undefined;
  private counters = { requests: 0, inflight: 0, prefilling: 0, completed: 0, cancelled: 0, cut: 0, errors: 0 };
  private tokens = { prompt: 0, generated: 0 };
  private requestIds: string[] = [];
  private models: string[] = [];
  private idleWaiters: (() => void)[] = [];

  constructor(workerStatus: WorkerStatus, reportedQueueDepth: number | undefined) {
    this.workerStatus = workerStatus;
    this.reportedQueueDepth = reportedQueueDepth;
  }

  get inflight(): number {
    return this.counters.inflight;
  }

  /** Resolves once no request is in flight (used by close() so stats are final when it returns). */
  whenIdle(): Promise<void> {
    if (this.counters.inflight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** What heartbeats and /metrics call queue depth. */
  get queueDepth(): number {
    return this.reportedQueueDepth ?? this.counters.inflight;
  }

  get promptTokens(): number {
    return this.tokens.prompt;
  }

  get tokensGenerated(): number {
    return this.tokens.generated;
  }

  addPromptTokens(n: number): void {
    this.tokens.prompt += n;
  }

  addGenerated(n: number): void {
    this.tokens.generated += n;
  }

  /** Start accounting for one inference request; its outcome is decided when `res` closes. */
  begin(res: ServerResponse, requestId: string, model: string): Tracker {
    // Always go through `this.counters` (reset() swaps the object while requests are open).
    this.counters.requests++;
    this.counters.inflight++;
    this.counters.prefilling++;
    push(this.requestIds, requestId);
    push(this.models, model);
    let closed = false;
    let cut = false;
    let prefilling = true;
    const endPrefill = (): void => {
      if (prefilling) this.counters.prefilling--;
      prefilling = false;
    };
    res.once("close", () => {
      closed = true;
      endPrefill();
      const c = this.counters;
      c.inflight--;
      if (c.inflight === 0) for (const wake of this.idleWaiters.splice(0)) wake();
      if (res.writableFinished) c.completed++;
      else if (cut) c.cut++;
      else c.cancelled++;
    });
    return {
      get aborted() {
        return closed || cut;
      },
      cut: () => {
        cut = true;
        this.counters.errors++;
        res.socket?.destroy();
      },
      error: () => {
        this.counters.errors++;
      },
      firstToken: endPrefill,
    };
  }

  /** Status to fail this request with (failNext first, then status), consuming one failNext. */
  takeFailure(): number | undefined {
    const next = this.faults.failNext;
    if (next && next.count > 0) {
      const remaining = next.count - 1;
      this.faults = { ...this.faults, failNext: remaining > 0 ? { ...next, count: remaining } : undefined };
      return next.status;
    }
    return this.faults.status;
  }

  snapshot(): MockStats {
    return {
      ...this.counters,
      promptTokens: this.tokens.prompt,
      tokensGenerated: this.tokens.generated,
      lastRequestIds: [...this.requestIds],
      lastModels: [...this.models],
    };
  }

  /** POST /_mock/reset: counters, history and faults back to zero (worker status kept). */
  reset(): void {
    const { inflight, prefilling } = this.counters;
    this.counters = { requests: 0, inflight, prefilling, completed: 0, cancelled: 0, cut: 0, errors: 0 };
    this.tokens = { prompt: 0, generated: 0 };
    this.requestIds = [];
    this.models = [];
    this.faults = {};
  }
}

function push(list: string[], value: string): void {
  list.push(value);
  if (list.length > RECENT_CAP) list.shift();
}
