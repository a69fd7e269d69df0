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
  /** Requests generating now, when sequences are limited (maxNumSeqs); the others wait, first come first served. */
  private slotsTaken = 0;
  private slotWaiters: { grant: () => void; alive: boolean }[] = [];

  constructor(
    workerStatus: WorkerStatus,
    reportedQueueDepth: number | undefined,
    /** vLLM's `--max-num-seqs`: requests beyond it wait for a slot; undefined = no limit. */
    readonly maxNumSeqs?: number,
  ) {
    this.workerStatus = workerStatus;
    this.reportedQueueDepth = reportedQueueDepth;
  }

  /** Requests in the running batch (vLLM's num_requests_running). */
  get running(): number {
    return this.maxNumSeqs === undefined ? this.counters.inflight : this.slotsTaken;
  }

  /**
   * Waits for a sequence slot (at once without a limit); false when the client left while waiting.
   * The slot is freed when `res` closes.
   */
  async takeSlot(res: ServerResponse): Promise<boolean> {
    const limit = this.maxNumSeqs;
    if (limit === undefined) return true;
    if (this.slotsTaken < limit) this.slotsTaken++;
    else {
      const granted = await new Promise<boolean>((resolve) => {
        const waiter = { grant: () => resolve(true), alive: true };
        this.slotWaiters.push(waiter);
        res.once("close", () => {
          waiter.alive = false;
          resolve(false);
        });
      });
      if (!granted) return false;
    }
    res.once("close", () => this.freeSlot());
    return true;
  }

  /** The slot goes to the longest-waiting request still there, else back to the pool. */
  private freeSlot(): void {
    for (let w = this.slotWaiters.shift(); w; w = this.slotWaiters.shift()) {
      if (w.alive) {
        w.grant();
        return;
      }
    }
    this.slotsTaken--;
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
