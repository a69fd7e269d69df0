// The router's memos of API keys and the catalog: an expired entry is refreshed behind the request
// (stale-while-revalidate), so changes in Postgres take effect within the TTL plus one request.
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiKeys, models } from "../../schema";
import { createApiKey, createModel, sha256Hex, uniqueSlug } from "../support/fixtures";
import { chat, type Stack, startStack } from "../support/stack";
import { waitFor } from "../support/wait";

const TTL_MS = 200;
let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ hosts: 1, vars: { AUTH_CACHE_TTL_MS: String(TTL_MS), CATALOG_TTL_MS: String(TTL_MS) } });
});
afterAll(() => stack?.dispose());

const callWith = (key: string, model = stack.model) =>
  fetch(`${stack.baseURL}/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify({ ...chat(stack), model }),
  });

describe("control-plane memos", () => {
  it("a key revoked in Postgres stops working once its memo has expired", async () => {
    const key = await createApiKey(stack.database.db, stack.tenant.orgId);
    expect((await callWith(key)).status).toBe(200);
    await stack.database.db
      .update(apiKeys)
      .set({ revokedAt: new Date() })
      .where(eq(apiKeys.keyHash, await sha256Hex(key)));
    await waitFor(async () => (await callWith(key)).status === 401, {
      timeoutMs: 10 * TTL_MS + 2_000,
      intervalMs: TTL_MS,
      what: "the revocation",
    });
  });

  it("a model deactivated in Postgres stops being served once the catalog memo has expired", async () => {
    const modelId = `test/${uniqueSlug("memo-model")}`;
    const modelUuid = await createModel(stack.database.db, { modelId });
    // Unknown to the snapshot: loaded at once and resolved (no host serves it: 503, not 404).
    expect((await callWith(stack.tenant.memberKey, modelId)).status).toBe(503);
    await stack.database.db.update(models).set({ isActive: false }).where(eq(models.id, modelUuid));
    await waitFor(async () => (await callWith(stack.tenant.memberKey, modelId)).status === 404, {
      timeoutMs: 10 * TTL_MS + 2_000,
      intervalMs: TTL_MS,
      what: "the deactivation",
    });
  });
});
