// The LimiterObject in workerd: exact under concurrent admissions, a budget that starts from the
// ledger's spend for its period and keeps its spend in storage, and a key's admission that also asks its
// organization's limiter (one call from the Worker).
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { LimitedScope, LimiterScope } from "../../worker/contracts";
import { withDb } from "../../worker/db";
import type { Limits, StoredBudget } from "../../worker/limits/policy";
import { limiterFor } from "../../worker/stubs";
import { writeUsageBatch } from "../../worker/usage/write-postgres";
import { newLedger, usageEvent } from "./support/usage-ledger";

const scope = (limits: Limits, kind: LimiterScope["kind"] = "key"): LimitedScope => ({
  kind,
  id: crypto.randomUUID(),
  limits,
});
const ask = (cost = "0") => ({ id: crypto.randomUUID(), tokens: 10, cost });

describe("LimiterObject", () => {
  it("admits exactly rpm of 45 concurrent requests", async () => {
    const s = scope({ rpm: 30 });
    const stub = limiterFor(env, s);
    const answers = await Promise.all(
      Array.from({ length: 45 }, () => stub.admit({ scope: s, parent: null, ask: ask() })),
    );
    expect(answers.filter((a) => a.ok)).toHaveLength(30);
    expect(answers.filter((a) => !a.ok).every((a) => !a.ok && a.reason === "requests")).toBe(true);
  });

  it("starts a budget from the ledger's spend for the period and stores its spend on settlement", async () => {
    const ledger = await newLedger({ input: "1", output: "1" });
    const { apiKeyId } = ledger;
    // 100 + 150 tokens at 1 per 1k: 0.25 already spent today.
    await withDb(env, (db) =>
      writeUsageBatch(db, [
        usageEvent(ledger, { inputTokens: 100, outputTokens: 150, instanceId: null, durationMs: 10 }),
      ]),
    );
    const s: LimitedScope = { kind: "key", id: apiKeyId, limits: { budget: { amount: "1", period: "day" } } };
    const stub = limiterFor(env, s);
    const first = ask("0.5");
    const admitted = await stub.admit({ scope: s, parent: null, ask: first });
    expect(admitted.ok).toBe(true);
    expect(admitted.quota.remainingBudget).toBe("0.25000000"); // 1 - 0.25 spent - 0.5 reserved
    await stub.settle([{ id: first.id, usedTokens: 0, cost: "0.1" }], null);
    const stored = await runInDurableObject(stub, (_, state) => state.storage.get<StoredBudget>("budget"));
    expect(stored?.spentE8).toBe("35000000");
    expect((await stub.quota()).remainingBudget).toBe("0.65000000");
  });

  it("admits a limited key of a limited organization in one call, undoing the key's part when the organization refuses", async () => {
    const org = scope({ rpm: 2 }, "org");
    const keyA = scope({ rpm: 5, tpm: 1_000 });
    const keyB = scope({ rpm: 5 });
    const first = ask();
    const a = await limiterFor(env, keyA).admit({ scope: keyA, parent: org, ask: first });
    expect(a).toMatchObject({ ok: true, by: "org" });
    // The tighter of the two: the organization has 1 request left, the key 1,000 tokens minus 10.
    expect(a.quota).toMatchObject({ limitRequests: 2, remainingRequests: 1, limitTokens: 1_000, remainingTokens: 990 });
    expect((await limiterFor(env, keyB).admit({ scope: keyB, parent: org, ask: ask() })).ok).toBe(true);
    const refused = await limiterFor(env, keyB).admit({ scope: keyB, parent: org, ask: ask() });
    expect(refused).toMatchObject({ ok: false, reason: "requests", by: "org" });
    // Key B counts only the one the organization admitted, not the one it refused.
    expect((await limiterFor(env, keyB).quota()).remainingRequests).toBe(4);
    // Settlement goes through the key's object to the organization's.
    await limiterFor(env, keyA).settle([{ id: first.id, usedTokens: 4, cost: "0" }], org);
    expect((await limiterFor(env, keyA).quota()).inflight).toBe(0);
    expect((await limiterFor(env, org).quota()).inflight).toBe(1);
  });
});
