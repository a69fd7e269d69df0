// One simulated GPU host: `slots` sequences at once, first come first served, each decoding at the host's token
// rate. Service times are known when a request is admitted, so its start, first token and end are exact.
import type { LoadSample } from "../../worker/probes/load-signals";
import type { SimHostSpec } from "./scenario";

export interface Served {
  startMs: number;
  firstTokenMs: number;
  endMs: number;
}

interface Job extends Served {
  arrivalMs: number;
  contextTokens: number;
  outputTokens: number;
}

export class SimHost {
  private readonly freeAt: number[];
  /** Jobs not yet ended, or ended recently enough that a delayed sample may still need them. */
  private jobs: Job[] = [];

  constructor(readonly spec: SimHostSpec) {
    this.freeAt = Array.from({ length: spec.slots }, () => 0);
  }

  /** Times this request would see if admitted now (the oracle's look-ahead; changes nothing). */
  quote(arrivalMs: number, uncachedPromptTokens: number, outputTokens: number): Served {
    const startMs = Math.max(arrivalMs, Math.min(...this.freeAt));
    const firstTokenMs = startMs + (uncachedPromptTokens / this.spec.prefillTokensPerSecond) * 1000;
    return { startMs, firstTokenMs, endMs: firstTokenMs + (outputTokens / this.spec.tokensPerSecond) * 1000 };
  }

  admit(arrivalMs: number, promptTokens: number, uncachedPromptTokens: number, outputTokens: number): Served {
    const served = this.quote(arrivalMs, uncachedPromptTokens, outputTokens);
    const slot = this.freeAt.indexOf(Math.min(...this.freeAt));
    this.freeAt[slot] = served.endMs;
    this.jobs.push({ ...served, arrivalMs, contextTokens: promptTokens + outputTokens, outputTokens });
    return served;
  }

  /** What /metrics would have shown at `atMs` (≤ now): waiting, running and KV usage. */
  sampleAt(atMs: number): LoadSample {
    let waiting = 0;
    let running = 0;
    let kv = 0;
    for (const j of this.jobs) {
      if (j.arrivalMs > atMs || j.endMs <= atMs) continue;
      if (j.startMs > atMs) waiting += 1;
      else {
        running += 1;
        kv += j.contextTokens;
      }
    }
    return { waiting, running, kvUsage: Math.min(1, kv / this.spec.kvTokens) };
  }

  /** Output tokens still to generate at `atMs` (≤ now), queued or running: the work this host carries. */
  backlogAt(atMs: number): number {
    let tokens = 0;
    for (const j of this.jobs) {
      if (j.arrivalMs > atMs || j.endMs <= atMs) continue;
      tokens += j.firstTokenMs > atMs ? j.outputTokens : ((j.endMs - atMs) / 1000) * this.spec.tokensPerSecond;
    }
    return tokens;
  }

  /** Forget jobs that ended before `beforeMs`: no sample will look that far back. */
  prune(beforeMs: number): void {
    if (this.jobs.length > 256) this.jobs = this.jobs.filter((j) => j.endMs >= beforeMs);
  }
}
