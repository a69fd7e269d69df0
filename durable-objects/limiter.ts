// One LimiterObject per limited API key or organization (worker/stubs.ts `limiterFor`): rate limits
// and budgets held in one place, so they are exact across every isolate and region. The rules are
// plain code in worker/limits/policy.ts; this object is storage and RPC around them. Windows live in
// memory (a minute long: an eviction forgets at most the last minute); the budget's spend is stored on
// every settlement, and on a period's first admission it starts from the ledger's spend for the period.
import { DurableObject } from "cloudflare:workers";
import type { LimiterScope } from "../worker/contracts";
import type { Env } from "../worker/env";
import { ledgerSpendSince } from "../worker/limits/ledger-spend";
import {
  type Admission,
  type Ask,
  LimiterState,
  type Limits,
  periodStart,
  type StoredBudget,
} from "../worker/limits/policy";

export class LimiterObject extends DurableObject<Env> {
  private readonly state = new LimiterState({}, Date.now);
  private restored = false;

  /** Admits or refuses one request; `limits` are the key's or organization's as the caller read them. */
  async admit(scope: LimiterScope, limits: Limits, ask: Ask): Promise<Admission> {
    this.state.limits = limits;
    await this.ensureBudgetBase(scope);
    return this.state.admit(ask);
  }

  /** The request has ended (however it ended): counted tokens and actual cost replace its reservation. */
  async settle(id: string, usedTokens: number, cost: string): Promise<void> {
    this.state.settle(id, usedTokens, cost);
    if (this.state.limits.budget) await this.ctx.storage.put("budget", this.state.storedBudget());
  }

  quota(): ReturnType<LimiterState["quota"]> {
    return this.state.quota();
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
