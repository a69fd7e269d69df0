// The LimiterObject in workerd: exact under concurrent admissions, and a budget that starts from the
// ledger's spend for its period and keeps its spend in storage.
import { env, runInDurableObject } from "cloudflare:test";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { createApiKey, createModel, createOrg, sha256Hex, uniqueSlug } from "../../dev/fixtures";
import { apiKeys } from "../../schema";
import type { LimiterScope } from "../../worker/contracts";
import { withDb } from "../../worker/db";
import type { StoredBudget } from "../../worker/limits/policy";
import { limiterFor } from "../../worker/stubs";
import { writeUsageBatch } from "../../worker/usage/write-postgres";

const scope = (): LimiterScope => ({ kind: "key", id: crypto.randomUUID() });
const ask = (cost = "0") => ({ id: crypto.randomUUID(), tokens: 10, cost });

describe("LimiterObject", () => {
  it("admits exactly rpm of 45 concurrent requests", async () => {
    const s = scope();
    const stub = limiterFor(env, s);
    const answers = await Promise.all(Array.from({ length: 45 }, () => stub.admit(s, { rpm: 30 }, ask())));
    expect(answers.filter((a) => a.ok)).toHaveLength(30);
    expect(answers.filter((a) => !a.ok).every((a) => !a.ok && a.reason === "requests")).toBe(true);
  });

  it("starts a budget from the ledger's spend for the period and stores its spend on settlement", async () => {
    const { orgId, apiKeyId, modelUuid, modelHfId } = await withDb(env, async (db) => {
      const orgId = await createOrg(db, uniqueSlug("limiter"));
      const key = await createApiKey(db, orgId);
      const [k] = await db
        .select({ id: apiKeys.id })
        .from(apiKeys)
        .where(eq(apiKeys.keyHash, await sha256Hex(key)));
      const modelHfId = `test/${uniqueSlug("limiter-model")}`;
      const modelUuid = await createModel(db, { modelId: modelHfId, priceInputPer1k: "1", priceOutputPer1k: "1" });
      return { orgId, apiKeyId: k!.id, modelUuid, modelHfId };
    });
    const requestId = `limiter-${crypto.randomUUID()}`;
    // 100 + 150 tokens at 1 per 1k: 0.25 already spent today.
    await withDb(env, (db) =>
      writeUsageBatch(db, [
        {
          requestId,
          clientRequestId: requestId,
          occurredAt: new Date().toISOString(),
          endpoint: "/v1/chat/completions",
          status: "succeeded",
          apiKeyId,
          organizationId: orgId,
          modelUuid,
          modelHfId,
          offeringId: null,
          instanceId: null,
          sessionKey: null,
          estimated: false,
          inputTokens: 100,
          outputTokens: 150,
          priceInputPer1k: "1",
          priceOutputPer1k: "1",
          httpStatus: 200,
          attempts: 1,
          durationMs: 10,
          error: null,
        },
      ]),
    );
    const s: LimiterScope = { kind: "key", id: apiKeyId };
    const stub = limiterFor(env, s);
    const limits = { budget: { amount: "1", period: "day" as const } };
    const first = ask("0.5");
    const admitted = await stub.admit(s, limits, first);
    expect(admitted.ok).toBe(true);
    expect(admitted.quota.remainingBudget).toBe("0.25000000"); // 1 - 0.25 spent - 0.5 reserved
    await stub.settle(first.id, 0, "0.1");
    const stored = await runInDurableObject(stub, (_, state) => state.storage.get<StoredBudget>("budget"));
    expect(stored?.spentE8).toBe("35000000");
    expect((await stub.quota()).remainingBudget).toBe("0.65000000");
  });
});
