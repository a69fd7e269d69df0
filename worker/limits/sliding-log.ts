// One sliding window's log (worker/limits/policy.ts): admissions oldest first, each with a weight (1 for
// rpm, its tokens for tpm), and their sum kept as entries come, change and go, so that neither an
// admission nor a settlement walks the log. A key allowed 100,000 requests a minute holds that many
// entries; only a refusal's retry-after, a cancellation (rare) and compaction look at more than one.
export interface LogEntry {
  at: number;
  id: string;
  weight: number;
}

/** Dropped entries kept at the front before the array is cut (amortised O(1) per expiry). */
const COMPACT_AFTER = 1024;

export class SlidingLog {
  private entries: LogEntry[] = [];
  /** Index of the oldest live entry. */
  private head = 0;
  private readonly byId = new Map<string, LogEntry>();
  private total = 0;

  get size(): number {
    return this.entries.length - this.head;
  }

  /** The sum of the live entries' weights. */
  get sum(): number {
    return this.total;
  }

  /** The i-th live entry, oldest first. */
  at(i: number): LogEntry | undefined {
    return this.entries[this.head + i];
  }

  push(entry: LogEntry): void {
    this.entries.push(entry);
    this.byId.set(entry.id, entry);
    this.total += entry.weight;
  }

  /** A live entry's new weight (a settlement's counted tokens); unknown ids are ignored. */
  reweigh(id: string, weight: number): void {
    const entry = this.byId.get(id);
    if (!entry) return;
    this.total += weight - entry.weight;
    entry.weight = weight;
  }

  /** Removes an entry wherever it is (an admission undone). */
  remove(id: string): void {
    const entry = this.byId.get(id);
    if (!entry) return;
    this.byId.delete(id);
    this.total -= entry.weight;
    this.entries.splice(this.entries.indexOf(entry, this.head), 1);
  }

  /** Drops the entries admitted `windowMs` or longer before `now`. */
  expire(now: number, windowMs: number): void {
    for (let e = this.entries[this.head]; e && e.at + windowMs <= now; e = this.entries[this.head]) {
      this.byId.delete(e.id);
      this.total -= e.weight;
      this.head += 1;
    }
    if (this.head >= COMPACT_AFTER && this.head * 2 >= this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.head = 0;
    }
  }

  /** When a total weight of `excess` will have left the window, oldest first; null if it never will. */
  freedAt(excess: number, windowMs: number): number | null {
    let freed = 0;
    for (let i = this.head; i < this.entries.length; i++) {
      const e = this.entries[i] as LogEntry;
      freed += e.weight;
      if (freed >= excess) return e.at + windowMs;
    }
    return null;
  }
}
