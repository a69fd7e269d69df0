// A ledger to meter against (organization, key, model, instance in Postgres) and usage events for it.
import { env } from "cloudflare:test";
import { eq } from "drizzle-orm";
import { createApiKey, createInstance, createModel, createOrg, sha256Hex, uniqueSlug } from "../../../dev/fixtures";
import { apiKeys } from "../../../schema";
import { withDb } from "../../../worker/db";
import type { UsageEvent } from "../../../worker/usage/event";

export interface Ledger {
  orgId: string;
  apiKeyId: string;
  modelUuid: string;
  modelHfId: string;
  instanceId: string;
  priceInputPer1k: string;
  priceOutputPer1k: string;
}

/** An organization with a key, a model at these prices (per 1k tokens) and an instance. */
export function newLedger(prices = { input: "1", output: "2" }): Promise<Ledger> {
  return withDb(env, async (db) => {
    const orgId = await createOrg(db, uniqueSlug("outbox"));
    const key = await createApiKey(db, orgId);
    const [k] = await db
      .select({ id: apiKeys.id })
      .from(apiKeys)
      .where(eq(apiKeys.keyHash, await sha256Hex(key)));
    const modelHfId = `test/${uniqueSlug("outbox-model")}`;
    const priceInputPer1k = prices.input;
    const priceOutputPer1k = prices.output;
    const modelUuid = await createModel(db, { modelId: modelHfId, priceInputPer1k, priceOutputPer1k });
    const instance = await createInstance(db, { orgId, modelUuid, baseUrl: "http://127.0.0.1:1" });
    return { orgId, apiKeyId: k!.id, modelUuid, modelHfId, instanceId: instance.id, priceInputPer1k, priceOutputPer1k };
  });
}

let seq = 0;
export function usageEvent(l: Ledger, over: Partial<UsageEvent> = {}): UsageEvent {
  const requestId = `outbox-${crypto.randomUUID()}-${++seq}`;
  return {
    requestId,
    clientRequestId: requestId,
    occurredAt: new Date().toISOString(),
    endpoint: "/v1/chat/completions",
    status: "succeeded",
    apiKeyId: l.apiKeyId,
    organizationId: l.orgId,
    modelUuid: l.modelUuid,
    modelHfId: l.modelHfId,
    offeringId: null,
    instanceId: l.instanceId,
    sessionKey: null,
    estimated: false,
    inputTokens: 10,
    outputTokens: 5,
    priceInputPer1k: l.priceInputPer1k,
    priceOutputPer1k: l.priceOutputPer1k,
    httpStatus: 200,
    attempts: 1,
    durationMs: 12,
    error: null,
    ...over,
  };
}
