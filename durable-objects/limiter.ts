// One LimiterObject per limited API key or organization (worker/stubs.ts `limiterFor`): rate limits
// and budgets held in one place, so they are exact across every isolate and region. The rules are
// plain code in worker/limits/policy.ts; this object is storage and RPC around them. Windows live in
// memory (a minute long: an eviction forgets at most the last minute); the budget's spend is stored by
// every `settle` call and soon after settlements an admission carried (storeSoon), and on a period's
// first admission it starts from the ledger's spend for the period. A limited key of a limited
// organization is one call from the Worker: the key's object asks the organization's (see LimiterAdmit),
// and settlements ride on admissions (worker/limits/owed-settlements.ts).
import { DurableObject } from "cloudflare:workers";
import type { LimitedScope, LimiterAdmit, LimiterAnswer, LimiterScope, Settlement } from "../worker/contracts";
import type { Env } from "../worker/env";
import { ledgerSpendSince } from "../worker/limits/ledger-spend";
import { combineQuotas, LimiterState, periodStart, type Quota, type StoredBudget } from "../worker/limits/policy";
import { limiterFor } from "../worker/stubs";
import { writeBehind } from "./write-behind";

const BUDGET_STORE_DELAY_MS = 100;

export class LimiterObject extends DurableObject<Env> {
  private readonly state = new LimiterState({}, Date.now);
  private restored = false;
  /** A write of the budget's spend is due (storeSoon). */
  private storeTimer: ReturnType<typeof setTimeout> | undefined;
  /** The ledger read in progress, shared by admissions that arrive meanwhile. */
  private basing: Promise<void> | null = null;

  /** Admits or refuses one request; `limits` are the key's or organization's as the caller read them. */
  async admit(call: LimiterAdmit): Promise<LimiterAnswer> {
    const { scope, parent, ask, settled = [] } = call;
    await this.use(scope);
    this.apply(settled);
    if (settled.length > 0) this.storeSoon();
    const own = this.state.admit(ask);
    if (!own.ok || parent === null) {
      // What this call carried for the organization's limiter still goes there.
      if (parent !== null && settled.length > 0) await limiterFor(this.env, parent).settle(settled, null);
      return { ...own, by: scope.kind };
    }
    let next: LimiterAnswer;
    try {
      next = await limiterFor(this.env, parent).admit({ scope: parent, parent: null, ask, settled });
    } catch (err) {
      this.state.cancel(ask.id);
      throw err;
    }
    if (!next.ok) this.state.cancel(ask.id);
    return { ...next, quota: combineQuotas(this.state.quota(), next.quota) };
  }

  /**
   * Requests have ended (however they ended): counted tokens and actual cost replace their reservations,
   * here and in `parent`'s limiter. Settling one twice counts once.
   */
  async settle(settled: Settlement[], parent: LimiterScope | null): Promise<void> {
    this.apply(settled);
    const stored = this.state.limits.budget ? this.ctx.storage.put("budget", this.state.storedBudget()) : undefined;
    await Promise.all([stored, parent ? limiterFor(this.env, parent).settle(settled, null) : undefined]);
  }

  private apply(settled: Settlement[]): void {
    for (const s of settled) this.state.settle(s.id, s.usedTokens, s.cost);
  }

  /**
   * The budget's spend after settlements an admission carried is written within BUDGET_STORE_DELAY_MS,
   * once for all that arrive meanwhile, and without holding any answer (`allowUnconfirmed`): a write
   * per admission cost a limited key's sequential p50 about 3 ms. A crash before it lands loses that
   * moment's spend from the object's storage, never from the ledger.
   */
  private storeSoon(): void {
    if (!this.state.limits.budget || this.storeTimer !== undefined) return;
    this.storeTimer = setTimeout(() => {
      this.storeTimer = undefined;
      writeBehind(this.ctx.storage, "budget", this.state.storedBudget(), "limiter budget");
    }, BUDGET_STORE_DELAY_MS);
  }

  /** What is left under `scope`'s limits now (the /metrics gauges); reads the ledger on a period's first use. */
  async quota(scope?: LimitedScope): Promise<Quota> {
    if (scope) await this.use(scope);
    return this.state.quota();
  }

  private async use(scope: LimitedScope): Promise<void> {
    this.state.limits = scope.limits;
    if (!scope.limits.budget) return;
    this.basing ??= this.ensureBudgetBase(scope).finally(() => {
      this.basing = null;
    });
    await this.basing;
  }

  private async ensureBudgetBase(scope: LimiterScope): Promise<void> {
    const budget = this.state.limits.budget;
    if (!budget) return;
    if (!this.restored) {
      const stored = await this.ctx.storage.get<StoredBudget>("budget");
      if (stored) this.state.restoreBudget(stored);
      this.restored = true;
    }
    if (!this.state.needsBudgetBase()) return;
    const start = periodStart(budget.period, Date.now());
    // Throws when Postgres is unreachable: the caller fails a budget closed (503).
    const spent = await ledgerSpendSince(this.env, scope, new Date(start));
    this.state.restoreBudget({ periodStart: start, spentE8: spent });
    await this.ctx.storage.put("budget", this.state.storedBudget());
  }
}
