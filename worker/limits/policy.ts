// Rate limits and budgets of one key or organization, as plain code on an injected clock: the
// LimiterObject holds one of these and persists what it returns; nothing here does I/O.
//
// Windows are sliding logs, not fixed windows: a fixed minute lets 2 × rpm through across its
// boundary (30 at 0:59, 30 more at 1:00), and a user who set 30 means 30 in any minute. The log is
// bounded by the limit itself (at most rpm admissions are kept), and it keeps its own sums
// (sliding-log.ts), so an admission or settlement costs the same with 30 entries as with 100,000.
import type { Limits } from "../../schema/values";
import { fromE8, toE8 } from "../usage/amount";
import { SlidingLog } from "./sliding-log";

export type { Limits };

export const WINDOW_MS = 60_000;
/**
 * A reservation never settled this long after admission is dropped (as a fleet's leases are, later:
 * streams may run long): the safety net for an isolate that died between admission and settlement, so
 * a concurrency slot cannot leak for good. A request still running then no longer holds its slot, and
 * its cost reaches the budget only through the ledger (the next period's base).
 */
export const HOLD_MAX_MS = 60 * 60_000;

/** What a request asks for at admission: its worst case. */
export interface Ask {
  id: string;
  /** Prompt estimate + max_tokens (or the default cap). */
  tokens: number;
  /** Worst-case cost, a decimal string in the ledger's currency. */
  cost: string;
}

export type RefusalReason = "requests" | "tokens" | "concurrency" | "budget";

export interface Quota {
  limitRequests: number | null;
  remainingRequests: number | null;
  /** Until the oldest counted request leaves the window. */
  resetRequestsMs: number | null;
  limitTokens: number | null;
  remainingTokens: number | null;
  resetTokensMs: number | null;
  /** Admitted and not yet settled. */
  inflight: number;
  /** The budget left in its period (null without a budget). */
  remainingBudget: string | null;
}

export type Admission =
  | { ok: true; quota: Quota }
  | { ok: false; reason: RefusalReason; retryAfterMs: number; quota: Quota };

interface Held {
  at: number;
  costE8: bigint;
}

/** What survives eviction: the budget's spend (the windows are a minute long and rebuilt from zero). */
export interface StoredBudget {
  periodStart: number;
  spentE8: string;
}

/** The UTC start of the period holding `now`. */
export function periodStart(period: "day" | "month", now: number): number {
  const d = new Date(now);
  return period === "day"
    ? Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate())
    : Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
}

export function periodEnd(period: "day" | "month", now: number): number {
  const d = new Date(periodStart(period, now));
  return period === "day" ? d.getTime() + 86_400_000 : Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
}

export class LimiterState {
  private readonly requests = new SlidingLog();
  private readonly tokens = new SlidingLog();
  private readonly held = new Map<string, Held>();
  private spentE8 = 0n;
  private budgetPeriod = 0;

  constructor(
    public limits: Limits,
    private readonly now: () => number,
  ) {}

  /** The budget's state from storage, or from the ledger's spend for the period on first use. */
  restoreBudget(stored: StoredBudget): void {
    this.budgetPeriod = stored.periodStart;
    this.spentE8 = BigInt(stored.spentE8);
  }

  storedBudget(): StoredBudget {
    return { periodStart: this.budgetPeriod, spentE8: this.spentE8.toString() };
  }

  /** True when the budget has no state for the current period yet (the caller reads the ledger). */
  needsBudgetBase(): boolean {
    const b = this.limits.budget;
    return b !== undefined && this.budgetPeriod !== periodStart(b.period, this.now());
  }

  get inflight(): number {
    return this.held.size;
  }

  admit(ask: Ask): Admission {
    const now = this.now();
    this.expire(now);
    // A retried call for a request already admitted (its answer was lost) is not counted twice.
    if (this.held.has(ask.id)) return { ok: true, quota: this.quota(now) };
    const { rpm, tpm, maxConcurrent, budget } = this.limits;
    const refuse = (reason: RefusalReason, retryAfterMs: number): Admission => ({
      ok: false,
      reason,
      retryAfterMs: Math.max(1, retryAfterMs),
      quota: this.quota(now),
    });
    // The 30th of 30 passes (fewer than 30 counted before it); the 31st finds 30 and is refused.
    if (rpm !== undefined && this.requests.size >= rpm)
      return refuse("requests", (this.requests.at(this.requests.size - rpm)?.at ?? now) + WINDOW_MS - now);
    if (tpm !== undefined) {
      const used = this.tokens.sum;
      // A request larger than the whole limit is admitted into an empty window, or it never could be.
      if (used > 0 && used + ask.tokens > tpm)
        return refuse("tokens", (this.tokens.freedAt(used + ask.tokens - tpm, WINDOW_MS) ?? now + WINDOW_MS) - now);
    }
    if (maxConcurrent !== undefined && this.held.size >= maxConcurrent) return refuse("concurrency", 1_000);
    if (budget !== undefined) {
      // Admitted while spend plus what is in flight is under the cap: concurrent requests overspend it
      // by at most one request's worst case.
      if (this.spentE8 + this.reservedE8() >= toE8(budget.amount))
        return refuse("budget", periodEnd(budget.period, now) - now);
    }
    if (rpm !== undefined) this.requests.push({ at: now, id: ask.id, weight: 1 });
    if (tpm !== undefined) this.tokens.push({ at: now, id: ask.id, weight: ask.tokens });
    this.held.set(ask.id, { at: now, costE8: toE8(ask.cost) });
    return { ok: true, quota: this.quota(now) };
  }

  /** The request has ended: its counted tokens and actual cost replace the reservation. */
  settle(id: string, usedTokens: number, cost: string): void {
    const now = this.now();
    const held = this.held.get(id);
    if (!held) return; // settled already, or admitted before an eviction
    this.held.delete(id);
    this.tokens.reweigh(id, usedTokens);
    if (this.limits.budget) {
      this.rollPeriod(now);
      this.spentE8 += toE8(cost);
    }
  }

  /** Undoes an admission as if it never happened (the organization's limiter refused what the key's admitted). */
  cancel(id: string): void {
    if (!this.held.delete(id)) return;
    this.requests.remove(id);
    this.tokens.remove(id);
  }

  quota(now = this.now()): Quota {
    this.expire(now);
    const { rpm, tpm, budget } = this.limits;
    const used = this.tokens.sum;
    return {
      limitRequests: rpm ?? null,
      remainingRequests: rpm === undefined ? null : Math.max(0, rpm - this.requests.size),
      resetRequestsMs: rpm === undefined ? null : resetMs(this.requests, now),
      limitTokens: tpm ?? null,
      remainingTokens: tpm === undefined ? null : Math.max(0, tpm - used),
      resetTokensMs: tpm === undefined ? null : resetMs(this.tokens, now),
      inflight: this.held.size,
      remainingBudget:
        budget === undefined ? null : fromE8Signed(toE8(budget.amount) - this.spentE8 - this.reservedE8()),
    };
  }

  private reservedE8(): bigint {
    let sum = 0n;
    for (const h of this.held.values()) sum += h.costE8;
    return sum;
  }

  private expire(now: number): void {
    // An entry admitted at t counts while now < t + WINDOW_MS.
    this.requests.expire(now, WINDOW_MS);
    this.tokens.expire(now, WINDOW_MS);
    // Maps iterate in insertion order, which is admission order: stop at the first young reservation.
    for (const [id, h] of this.held) {
      if (h.at + HOLD_MAX_MS > now) break;
      this.held.delete(id);
    }
    this.rollPeriod(now);
  }

  private rollPeriod(now: number): void {
    const b = this.limits.budget;
    if (!b) return;
    const start = periodStart(b.period, now);
    if (this.budgetPeriod !== 0 && start > this.budgetPeriod) {
      this.budgetPeriod = start;
      this.spentE8 = 0n;
    }
  }
}

/** Until the oldest counted entry leaves the window (0 when none counts). */
const resetMs = (log: SlidingLog, now: number): number => {
  const oldest = log.at(0);
  return oldest ? oldest.at + WINDOW_MS - now : 0;
};

const fromE8Signed = (e8: bigint): string => (e8 < 0n ? `-${fromE8(-e8)}` : fromE8(e8));

const tighter = (a: number | null, b: number | null): boolean => a !== null && (b === null || a < b);

/**
 * What a key with limits of its own inside an organization with limits may still do: each dimension
 * from whichever of the two has less left (the headers describe the limit that binds first).
 */
export function combineQuotas(key: Quota, org: Quota): Quota {
  const requests = tighter(org.remainingRequests, key.remainingRequests) ? org : key;
  const tokens = tighter(org.remainingTokens, key.remainingTokens) ? org : key;
  const budgetOrg =
    org.remainingBudget !== null &&
    (key.remainingBudget === null || toSignedE8(org.remainingBudget) < toSignedE8(key.remainingBudget));
  return {
    limitRequests: requests.limitRequests,
    remainingRequests: requests.remainingRequests,
    resetRequestsMs: requests.resetRequestsMs,
    limitTokens: tokens.limitTokens,
    remainingTokens: tokens.remainingTokens,
    resetTokensMs: tokens.resetTokensMs,
    inflight: key.inflight,
    remainingBudget: budgetOrg ? org.remainingBudget : key.remainingBudget,
  };
}

const toSignedE8 = (amount: string): bigint => (amount.startsWith("-") ? -toE8(amount.slice(1)) : toE8(amount));
