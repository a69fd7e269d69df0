// Per-isolate memo for control-plane reads (API keys, the catalog), so requests neither wait on
// Postgres nor fail with it: an entry is fresh for `freshMs`; after that it is served while a
// background reload runs (stale-while-revalidate), and while reloads fail it keeps being served for
// up to `staleIfErrorMs` (stale-if-error), with at most one attempt per `retryMs` so an outage
// does not put a connection attempt on every request. Concurrent loads of a key share one query.
// A key found not to exist is remembered as such for `missMs`, so made-up keys (an unknown API key,
// a bogus worker token) cannot each cost a query either.

export interface MemoPolicy {
  freshMs: number;
  staleIfErrorMs: number;
  retryMs: number;
  /** How long "does not exist" is believed (0 or absent: not remembered). */
  missMs?: number;
}

export interface GetOptions {
  /** Load even when fresh: the caller knows the held value lacks something. */
  force?: boolean;
  /** Where a background refresh is handed (waitUntil); without it a stale value is reloaded first. */
  background?: (work: Promise<unknown>) => void;
}

interface Entry<V> {
  value: V;
  loadedAt: number;
  /** After a failed reload: serve the stale value without trying again until then. */
  retryAt: number;
}

export class StaleIfErrorMemo<V> {
  private readonly entries = new Map<string, Entry<V>>();
  private readonly loading = new Map<string, Promise<V | undefined>>();
  /** Keys that did not exist, and until when that answer stands. */
  private readonly misses = new Map<string, number>();

  constructor(private readonly maxEntries = 10_000) {}

  /**
   * The value for `key`. A fresh one is returned as is; a missing one, or any with `force`, is
   * loaded; a stale one is served at once and refreshed through `background` when that is given
   * (stale-while-revalidate), else reloaded first. `load` resolving undefined means "does not
   * exist": the entry is dropped and the miss remembered for `missMs`. A failing load throws only
   * when nothing servable is held.
   */
  async get(
    key: string,
    load: () => Promise<V | undefined>,
    policy: MemoPolicy,
    options: GetOptions = {},
  ): Promise<V | undefined> {
    const now = Date.now();
    if (!options.force && (this.misses.get(key) ?? 0) > now) return undefined;
    const entry = this.entries.get(key);
    if (entry && now - entry.loadedAt < policy.freshMs + policy.staleIfErrorMs) {
      if (now - entry.loadedAt < policy.freshMs && !options.force) return entry.value;
      if (now < entry.retryAt) return entry.value; // failed a moment ago: don't hammer a database that is down
      if (options.background && !options.force) {
        // A refresh already under way, from whichever request, is not joined: a waitUntil that waits on
        // another request's I/O is cancelled by workerd (with a warning), and that refresh stores the value.
        if (!this.loading.has(key)) options.background(this.refresh(key, load, policy).catch(() => {}));
        return entry.value;
      }
    }
    return this.refresh(key, load, policy);
  }

  private async refresh(key: string, load: () => Promise<V | undefined>, policy: MemoPolicy): Promise<V | undefined> {
    const started = Date.now();
    try {
      const value = await this.loadOnce(key, load);
      if (value === undefined) this.forget(key, started + (policy.missMs ?? 0));
      else this.set(key, value);
      return value;
    } catch (err) {
      const held = this.entries.get(key);
      if (!held || started - held.loadedAt >= policy.freshMs + policy.staleIfErrorMs) throw err;
      held.retryAt = started + policy.retryMs;
      return held.value;
    }
  }

  /** What is held for `key`, however old. */
  peek(key: string): V | undefined {
    return this.entries.get(key)?.value;
  }

  set(key: string, value: V): void {
    if (this.entries.size >= this.maxEntries && !this.entries.has(key)) this.entries.clear();
    this.entries.set(key, { value, loadedAt: Date.now(), retryAt: 0 });
    this.misses.delete(key);
  }

  private forget(key: string, missUntil: number): void {
    this.entries.delete(key);
    if (missUntil <= Date.now()) return;
    if (this.misses.size >= this.maxEntries) this.misses.clear();
    this.misses.set(key, missUntil);
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  /** Drops every entry whose value matches. */
  deleteWhere(matches: (value: V) => boolean): void {
    for (const [key, entry] of this.entries) if (matches(entry.value)) this.entries.delete(key);
  }

  private loadOnce(key: string, load: () => Promise<V | undefined>): Promise<V | undefined> {
    let pending = this.loading.get(key);
    if (!pending) {
      pending = load().finally(() => this.loading.delete(key));
      this.loading.set(key, pending);
    }
    return pending;
  }
}

const RETRY_AFTER_FAILURE_MS = 5_000;
const REMEMBER_MISS_MS = 5_000;

/** A policy from a freshness (ms) and the shared STALE_IF_ERROR_MS setting. */
export function memoPolicy(freshMs: number, staleIfErrorMs: number): MemoPolicy {
  return {
    freshMs,
    staleIfErrorMs,
    retryMs: RETRY_AFTER_FAILURE_MS,
    missMs: REMEMBER_MISS_MS,
  };
}
