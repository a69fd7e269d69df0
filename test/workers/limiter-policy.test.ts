// The limiter's rules on an injected clock: sliding windows with no off-by-one at the boundary,
// token reservation and settlement, concurrency, and budgets that reserve the worst case.
import { describe, expect, it } from "vitest";
import {
  type Ask,
  combineQuotas,
  HOLD_MAX_MS,
  LimiterState,
  type Limits,
  periodEnd,
  periodStart,
  WINDOW_MS,
} from "../../worker/limits/policy";

const T0 = Date.UTC(2026, 11, 1, 12, 0, 0);

function limiter(limits: Limits) {
  const clock = { now: T0 };
  const state = new LimiterState(limits, () => clock.now);
  if (limits.budget) state.restoreBudget({ periodStart: periodStart(limits.budget.period, T0), spentE8: "0" });
  return { state, clock };
}

let seq = 0;
const ask = (over: Partial<Ask> = {}): Ask => ({ id: `r${++seq}`, tokens: 10, cost: "0", ...over });

describe("requests per minute", () => {
  it("serves the 30th of 30 and refuses the 31st, until the first leaves the window", () => {
    const { state, clock } = limiter({ rpm: 30 });
    for (let i = 1; i <= 30; i++) {
      clock.now = T0 + i * 100;
      const a = state.admit(ask());
      expect(a.ok).toBe(true);
      expect(a.quota.remainingRequests).toBe(30 - i);
    }
    clock.now = T0 + 5_000;
    const refused = state.admit(ask());
    expect(refused).toMatchObject({ ok: false, reason: "requests" });
    // The first was admitted at T0 + 100: it counts until T0 + 100 + 60 s, exclusive.
    expect(refused.ok ? 0 : refused.retryAfterMs).toBe(100 + WINDOW_MS - 5_000);
    clock.now = T0 + 100 + WINDOW_MS - 1;
    expect(state.admit(ask()).ok).toBe(false);
    clock.now = T0 + 100 + WINDOW_MS;
    expect(state.admit(ask()).ok).toBe(true);
    expect(state.admit(ask()).ok).toBe(false);
  });

  it("is a sliding window: no second burst at a minute boundary", () => {
    const { state, clock } = limiter({ rpm: 2 });
    clock.now = T0 + 59_000;
    expect([state.admit(ask()).ok, state.admit(ask()).ok]).toEqual([true, true]);
    clock.now = T0 + 61_000; // a fixed window would have reset here
    expect(state.admit(ask()).ok).toBe(false);
  });
});

describe("tokens per minute", () => {
  it("reserves the worst case at admission and settles to the counted usage", () => {
    const { state } = limiter({ tpm: 100 });
    expect(state.admit(ask({ id: "a", tokens: 60 })).ok).toBe(true);
    expect(state.admit(ask({ id: "b", tokens: 50 }))).toMatchObject({ ok: false, reason: "tokens" });
    state.settle("a", 20, "0");
    expect(state.quota().remainingTokens).toBe(80);
    expect(state.admit(ask({ id: "b", tokens: 50 })).ok).toBe(true);
    expect(state.quota().remainingTokens).toBe(30);
  });

  it("admits a request larger than the whole limit into an empty window only", () => {
    const { state, clock } = limiter({ tpm: 100 });
    expect(state.admit(ask({ tokens: 500 })).ok).toBe(true);
    expect(state.admit(ask({ tokens: 1 })).ok).toBe(false);
    clock.now = T0 + WINDOW_MS;
    expect(state.admit(ask({ tokens: 1 })).ok).toBe(true);
  });
});

describe("concurrency", () => {
  it("counts requests in flight and frees a slot when one settles", () => {
    const { state } = limiter({ maxConcurrent: 2 });
    expect([state.admit(ask({ id: "x" })).ok, state.admit(ask({ id: "y" })).ok]).toEqual([true, true]);
    expect(state.admit(ask())).toMatchObject({ ok: false, reason: "concurrency" });
    state.settle("x", 0, "0");
    state.settle("x", 0, "0"); // a second settlement of the same request changes nothing
    expect(state.inflight).toBe(1);
    expect(state.admit(ask()).ok).toBe(true);
    expect(state.admit(ask()).ok).toBe(false);
  });
});

describe("budgets", () => {
  it("admits while spend plus reservations is under the cap: overspend at most one worst case", () => {
    const { state } = limiter({ budget: { amount: "1", period: "day" } });
    const admitted: string[] = [];
    for (let i = 0; i < 10; i++) {
      const a = ask({ cost: "0.3" });
      if (state.admit(a).ok) admitted.push(a.id);
    }
    // 0 → 0.3 → 0.6 → 0.9 all under 1: four admitted, worst case 1.2 (≤ 1 + 0.3).
    expect(admitted).toHaveLength(4);
    for (const id of admitted) state.settle(id, 0, "0.1");
    expect(state.quota().remainingBudget).toBe("0.60000000");
    expect(state.admit(ask({ cost: "0.3" })).ok).toBe(true);
  });

  it("refuses with insufficient budget until the period ends, then starts again from zero", () => {
    const { state, clock } = limiter({ budget: { amount: "0.5", period: "day" } });
    const a = ask({ cost: "0.5" });
    expect(state.admit(a).ok).toBe(true);
    state.settle(a.id, 0, "0.5");
    const refused = state.admit(ask());
    expect(refused).toMatchObject({ ok: false, reason: "budget" });
    expect(refused.ok ? 0 : refused.retryAfterMs).toBe(periodEnd("day", T0) - T0);
    clock.now = periodEnd("day", T0);
    expect(state.admit(ask()).ok).toBe(true);
    expect(state.storedBudget()).toEqual({ periodStart: periodEnd("day", T0), spentE8: "0" });
  });

  it("keeps its spend across a restore (eviction) and asks for the ledger's base in a new period", () => {
    const { state, clock } = limiter({ budget: { amount: "1", period: "month" } });
    const a = ask();
    state.admit(a);
    state.settle(a.id, 0, "0.25");
    const again = new LimiterState({ budget: { amount: "1", period: "month" } }, () => clock.now);
    expect(again.needsBudgetBase()).toBe(true);
    again.restoreBudget(state.storedBudget());
    expect(again.needsBudgetBase()).toBe(false);
    expect(again.quota().remainingBudget).toBe("0.75000000");
    expect(periodStart("month", T0)).toBe(Date.UTC(2026, 11, 1));
    expect(periodEnd("month", T0)).toBe(Date.UTC(2027, 0, 1));
  });
});

describe("admissions undone, repeated and abandoned", () => {
  it("cancel takes a request out of every count, as if it had never been admitted", () => {
    const { state } = limiter({ rpm: 2, tpm: 100, maxConcurrent: 2 });
    const a = ask({ tokens: 60 });
    expect(state.admit(a).ok).toBe(true);
    state.cancel(a.id);
    expect(state.quota()).toMatchObject({ remainingRequests: 2, remainingTokens: 100, inflight: 0 });
    state.cancel(a.id); // twice: nothing more
    expect(state.quota().remainingRequests).toBe(2);
  });

  it("counts a request admitted twice (a retried call whose answer was lost) once", () => {
    const { state } = limiter({ rpm: 2 });
    const a = ask();
    expect([state.admit(a).ok, state.admit(a).ok]).toEqual([true, true]);
    expect(state.quota()).toMatchObject({ remainingRequests: 1, inflight: 1 });
  });

  it("drops a reservation never settled after HOLD_MAX_MS, freeing its concurrency slot", () => {
    const { state, clock } = limiter({ maxConcurrent: 1 });
    expect(state.admit(ask()).ok).toBe(true);
    clock.now = T0 + HOLD_MAX_MS - 1;
    expect(state.admit(ask()).ok).toBe(false);
    clock.now = T0 + HOLD_MAX_MS;
    expect(state.admit(ask()).ok).toBe(true);
  });
});

describe("combineQuotas", () => {
  it("takes each dimension from the scope with less left", () => {
    const key = limiter({ rpm: 10, tpm: 1_000, budget: { amount: "5", period: "day" } }).state.quota();
    const org = limiter({ rpm: 3, budget: { amount: "2", period: "month" } }).state.quota();
    expect(combineQuotas(key, org)).toEqual({
      limitRequests: 3,
      remainingRequests: 3,
      resetRequestsMs: 0,
      limitTokens: 1_000,
      remainingTokens: 1_000,
      resetTokensMs: 0,
      inflight: 0,
      remainingBudget: "2.00000000",
    });
  });
});

describe("a window holding many admissions", () => {
  it("counts exactly through expiry, compaction, settlement and an admission undone in the middle", () => {
    const { state, clock } = limiter({ rpm: 5_000, tpm: 1_000_000 });
    const asks: Ask[] = [];
    // 5,000 admissions over 50 s, 100 tokens each: the request window is full, 500,000 tokens counted.
    for (let i = 0; i < 5_000; i++) {
      clock.now = T0 + i * 10;
      const a = ask({ tokens: 100 });
      asks.push(a);
      expect(state.admit(a).ok).toBe(true);
    }
    const full = state.admit(ask());
    expect(full).toMatchObject({ ok: false, reason: "requests" });
    // The oldest admission (at T0) leaves the window at T0 + 60 s; now is T0 + 49.99 s.
    expect(!full.ok && full.retryAfterMs).toBe(WINDOW_MS - 49_990);
    // Settle the first 1,000 to 1 token each and undo one in the middle.
    for (const a of asks.slice(0, 1_000)) state.settle(a.id, 1, "0");
    state.cancel(asks[2_500]?.id ?? "");
    expect(state.quota()).toMatchObject({ remainingRequests: 1, remainingTokens: 1_000_000 - 1_000 - 3_999 * 100 });
    // 30 s on, the first 3,000 (T0 … T0 + 29.99 s, the undone one among them) have left: more than
    // COMPACT_AFTER dropped at once. The 2,000 admitted from T0 + 30 s count, 100 tokens each.
    clock.now = T0 + 60_000 + 29_990;
    expect(state.quota()).toMatchObject({
      remainingRequests: 5_000 - 2_000,
      remainingTokens: 1_000_000 - 2_000 * 100,
      resetRequestsMs: 10,
    });
    expect(state.admit(ask({ tokens: 100 })).ok).toBe(true);
    expect(state.quota()).toMatchObject({ remainingRequests: 5_000 - 2_001, inflight: 4_000 });
  });
});
