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
}

export function newLedger(): Promise<Ledger> {
  return withDb(env, async (db) => {
    const orgId = await createOrg(db, uniqueSlug("outbox"));
    const key = await createApiKey(db, orgId);
    const [k] = await db
      .select({ id: apiKeys.id })
      .from(apiKeys)
      .where(eq(apiKeys.keyHash, await sha256Hex(key)));
    const modelHfId = `test/${uniqueSlug("outbox-model")}`;
    const modelUuid = await createModel(db, { modelId: modelHfId, priceInputPer1k: "1", priceOutputPer1k: "2" });
    const instance = await createInstance(db, { orgId, modelUuid, baseUrl: "http://127.0.0.1:1" });
    return { orgId, apiKeyId: k!.id, modelUuid, modelHfId, instanceId: instance.id };
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
    priceInputPer1k: "1",
    priceOutputPer1k: "2",
    httpStatus: 200,
    attempts: 1,
    durationMs: 12,
    error: null,
    ...over,
  };
}
