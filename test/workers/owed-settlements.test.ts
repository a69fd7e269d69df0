// Limiter settlements riding on later calls, in workerd against the real LimiterObject: the isolate's
// next admission carries what is owed (applied before it admits, here and in the organization's
// limiter), a quiet isolate flushes after the window, a failed carrying call owes them again, a
// settlement delivered twice counts once, and a budget's spend they carry is stored shortly after.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { LimitedScope } from "../../worker/contracts";
import { carrySettlements, settleLater } from "../../worker/limits/owed-settlements";
import type { Limits, StoredBudget } from "../../worker/limits/policy";
import { limiterFor } from "../../worker/stubs";
import { waitFor } from "../support/wait";

const scope = (limits: Limits, kind: LimitedScope["kind"] = "key"): LimitedScope => ({
  kind,
  id: crypto.randomUUID(),
  limits,
});
const ask = (tokens: number) => ({ id: crypto.randomUUID(), tokens, cost: "0" });

describe("owed limiter settlements", () => {
  it("are carried by the next admission, which is judged on what the last request really used", async () => {
    const key = scope({ tpm: 1_000 });
    const org = scope({ tpm: 5_000 }, "org");
    const limiter = limiterFor(env, key);
    const first = ask(900);
    expect((await limiter.admit({ scope: key, parent: org, ask: first })).ok).toBe(true);
    const opener = settleLater(env, key, org, { id: first.id, usedTokens: 20, cost: "0" });
    // Without the settlement 900 + 900 would exceed 1,000; with it, 20 + 900 fits.
    const carried = carrySettlements(key);
    expect(carried?.items).toEqual([{ id: first.id, usedTokens: 20, cost: "0" }]);
    expect(carrySettlements(key)).toBeUndefined();
    const second = await limiter.admit({ scope: key, parent: org, ask: ask(900), settled: carried?.items });
    await carried?.settle(true);
    // The request that opened the debt waits out its window; the flush then finds nothing owed.
    await opener;
    expect(carrySettlements(key)).toBeUndefined();
    expect(second).toMatchObject({ ok: true, quota: { remainingTokens: 80 } });
    // The organization's limiter took the same settlement through the key's.
    expect((await limiterFor(env, org).quota()).remainingTokens).toBe(5_000 - 920);
  });

  it("still reach the organization when the key's limiter refuses the carrying admission", async () => {
    const key = scope({ rpm: 1 });
    const org = scope({ tpm: 5_000 }, "org");
    const first = ask(700);
    expect((await limiterFor(env, key).admit({ scope: key, parent: org, ask: first })).ok).toBe(true);
    const settled = [{ id: first.id, usedTokens: 10, cost: "0" }];
    const refused = await limiterFor(env, key).admit({ scope: key, parent: org, ask: ask(10), settled });
    expect(refused).toMatchObject({ ok: false, reason: "requests", by: "key" });
    expect(await limiterFor(env, org).quota()).toMatchObject({ inflight: 0, remainingTokens: 4_990 });
  });

  it("go in one call after the window when no admission comes, and count once however often they arrive", async () => {
    const key = scope({ tpm: 1_000, maxConcurrent: 5 });
    const limiter = limiterFor(env, key);
    const first = ask(500);
    await limiter.admit({ scope: key, parent: null, ask: first });
    await settleLater(env, key, null, { id: first.id, usedTokens: 30, cost: "0" });
    expect(await limiter.quota()).toMatchObject({ inflight: 0, remainingTokens: 970 });
    // The call may have reached the object before it failed: owed again, sent again, counted once.
    const again = settleLater(env, key, null, { id: first.id, usedTokens: 30, cost: "0" });
    const carried = carrySettlements(key);
    await limiter.settle(carried?.items ?? [], null);
    await carried?.settle(false);
    await again;
    expect(await limiter.quota()).toMatchObject({ inflight: 0, remainingTokens: 970 });
  });
});

describe("a budget's spend carried by admissions", () => {
  it("is stored once, shortly after, for all the admissions that carried some", async () => {
    const key = scope({ budget: { amount: "10", period: "day" } });
    const limiter = limiterFor(env, key);
    const spend = (id: string, cost: string) => ({ id, usedTokens: 0, cost });
    const a = ask(0);
    const b = ask(0);
    await limiter.admit({ scope: key, parent: null, ask: { ...a, cost: "1" } });
    await limiter.admit({ scope: key, parent: null, ask: { ...b, cost: "1" }, settled: [spend(a.id, "0.25")] });
    await limiter.admit({ scope: key, parent: null, ask: ask(0), settled: [spend(b.id, "0.5")] });
    const stored = () => runInDurableObject(limiter, (_, state) => state.storage.get<StoredBudget>("budget"));
    // Both settlements count at once; the write follows within BUDGET_STORE_DELAY_MS.
    expect((await limiter.quota()).remainingBudget).toBe("9.25000000");
    await waitFor(async () => (await stored())?.spentE8 === "75000000", { timeoutMs: 2_000, what: "the spend stored" });
  });
});
