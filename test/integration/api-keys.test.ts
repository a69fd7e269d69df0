// The API-key lifecycle over HTTP against the real router and Postgres: create → use → list →
// member refused → expiry → rotation (with and without grace) → revocation → model allow-list.
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiKeys } from "../../schema";
import { createOffering, uniqueSlug } from "../support/fixtures";
import { chat, type Stack, startStack } from "../support/stack";
import { waitFor } from "../support/wait";

const TTL_MS = 400;
let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ hosts: 1, vars: { AUTH_CACHE_TTL_MS: String(TTL_MS), LAST_USED_FLUSH_MS: "200" } });
});
afterAll(() => stack?.dispose());

interface KeyJson {
  id: string;
  key?: string;
  name: string;
  role: string;
  prefix: string;
  models: string[] | null;
  expires_at: number | null;
  revoked_at: number | null;
  last_used_at: number | null;
  previous_key_expires_at: number | null;
}

async function json<T>(res: Response, status: number): Promise<T> {
  const body = await res.text();
  expect(res.status, body).toBe(status);
  return JSON.parse(body) as T;
}

async function createKey(body: Record<string, unknown>, key?: string): Promise<KeyJson & { key: string }> {
  return json(await stack.call("POST", "/api-keys", { body, key }), 201);
}

const infer = (key: string, model = stack.model) =>
  stack.call("POST", "/v1/chat/completions", { key, body: { ...chat(stack), model } });

async function errorCode(res: Response, status: number): Promise<{ code: string; param: string | null }> {
  const body = await json<{ error: { code: string; param: string | null } }>(res, status);
  return body.error;
}

describe("API keys over the admin API", () => {
  it("creates a key that works, shows its secret once and stores only hash and prefix", async () => {
    const created = await createKey({ name: "ci", role: "member" });
    expect(created.key).toMatch(/^sk-inv-[0-9a-f]{32}$/);
    expect(created.prefix).toBe(created.key.slice(0, 12));
    expect(created).toMatchObject({ name: "ci", role: "member", models: null, expires_at: null, revoked_at: null });
    expect((await infer(created.key)).status).toBe(200);

    const listed = await json<{ data: KeyJson[] }>(await stack.call("GET", "/api-keys?limit=100"), 200);
    const shown = await json<KeyJson>(await stack.call("GET", `/api-keys/${created.id}`), 200);
    expect(listed.data.map((k) => k.id)).toContain(created.id);
    for (const text of [JSON.stringify(listed), JSON.stringify(shown)]) expect(text).not.toContain(created.key);
    expect(shown).not.toHaveProperty("key");

    const [row] = await stack.database.db.select().from(apiKeys).where(eq(apiKeys.id, created.id));
    expect(row?.keyHash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(row)).not.toContain(created.key);
    await waitFor(
      async () => {
        const [r] = await stack.database.db.select().from(apiKeys).where(eq(apiKeys.id, created.id));
        return r?.lastUsedAt != null || (await infer(created.key)).status !== 200;
      },
      { timeoutMs: 5_000, intervalMs: 100, what: "last_used_at" },
    );
  });

  it("pages the list with `after`, newest first", async () => {
    const a = await createKey({ name: "page-a" });
    const b = await createKey({ name: "page-b" });
    const first = await json<{ data: KeyJson[]; has_more: boolean; last_id: string }>(
      await stack.call("GET", "/api-keys?limit=1"),
      200,
    );
    expect(first.data.map((k) => k.id)).toEqual([b.id]);
    expect(first.has_more).toBe(true);
    const second = await json<{ data: KeyJson[] }>(await stack.call("GET", `/api-keys?limit=1&after=${b.id}`), 200);
    expect(second.data.map((k) => k.id)).toEqual([a.id]);
    expect((await errorCode(await stack.call("GET", `/api-keys?after=${crypto.randomUUID()}`), 400)).code).toBe(
      "invalid_cursor",
    );
  });

  it("refuses member keys on every key route (403) and a bad body with the field as param (400)", async () => {
    for (const [method, path] of [
      ["GET", "/api-keys"],
      ["POST", "/api-keys"],
      ["DELETE", `/api-keys/${crypto.randomUUID()}`],
    ] as const) {
      const body = method === "POST" ? { name: "x" } : undefined;
      const res = await stack.call(method, path, { key: stack.tenant.memberKey, body });
      expect((await errorCode(res, 403)).code).toBe("admin_required");
    }
    expect(await errorCode(await stack.call("POST", "/api-keys", { body: { role: "admin" } }), 400)).toMatchObject({
      param: "name",
    });
    expect(
      await errorCode(await stack.call("POST", "/api-keys", { body: { name: "x", role: "owner" } }), 400),
    ).toMatchObject({ param: "role" });
    expect(
      await errorCode(await stack.call("POST", "/api-keys", { body: { name: "x", models: ["no/such-model"] } }), 400),
    ).toMatchObject({ param: "models.0", code: "model_not_found" });
    expect((await errorCode(await stack.call("GET", `/api-keys/${crypto.randomUUID()}`), 404)).code).toBe(
      "api_key_not_found",
    );
  });

  it("answers 401 key_expired once a key's expiry has passed", async () => {
    const created = await createKey({ name: "short", expires_at: Math.floor(Date.now() / 1000) + 2 });
    expect((await infer(created.key)).status).toBe(200);
    let last: Response | undefined;
    await waitFor(
      async () => {
        last = await infer(created.key);
        return last.status !== 200;
      },
      { timeoutMs: 5_000, intervalMs: 100, what: "expiry" },
    );
    expect((await errorCode(last as Response, 401)).code).toBe("key_expired");
    expect(
      await errorCode(await stack.call("POST", "/api-keys", { body: { name: "x", expires_at: 1_000 } }), 400),
    ).toMatchObject({ param: "expires_at" });
  });

  it("rotates with grace 0: the old secret is refused at once, the new one works", async () => {
    const created = await createKey({ name: "rot0" });
    expect((await infer(created.key)).status).toBe(200);
    const rotated = await json<KeyJson & { key: string }>(
      await stack.call("POST", `/api-keys/${created.id}/rotate`, { body: { grace_seconds: 0 } }),
      200,
    );
    expect(rotated.id).toBe(created.id);
    expect(rotated.key).not.toBe(created.key);
    expect(rotated.previous_key_expires_at).toBeNull();
    expect((await errorCode(await infer(created.key), 401)).code).toBe("invalid_api_key");
    expect((await infer(rotated.key)).status).toBe(200);
  });

  it("rotates with a grace period: both secrets work until it ends, then only the new one", async () => {
    const created = await createKey({ name: "rot-grace" });
    const rotated = await json<KeyJson & { key: string }>(
      await stack.call("POST", `/api-keys/${created.id}/rotate`, { body: { grace_seconds: 2 } }),
      200,
    );
    expect(rotated.previous_key_expires_at).toBeGreaterThan(Math.floor(Date.now() / 1000));
    expect((await infer(created.key)).status).toBe(200);
    expect((await infer(rotated.key)).status).toBe(200);
    let last: Response | undefined;
    await waitFor(
      async () => {
        last = await infer(created.key);
        return last.status !== 200;
      },
      { timeoutMs: 5_000, intervalMs: 100, what: "grace end" },
    );
    expect((await errorCode(last as Response, 401)).code).toBe("invalid_api_key");
    expect((await infer(rotated.key)).status).toBe(200);
  });

  it("revokes at once through the API, and within the cache TTL when revoked elsewhere", async () => {
    const viaApi = await createKey({ name: "rev-api" });
    expect((await infer(viaApi.key)).status).toBe(200);
    const revoked = await json<KeyJson>(await stack.call("DELETE", `/api-keys/${viaApi.id}`), 200);
    expect(revoked.revoked_at).not.toBeNull();
    expect((await errorCode(await infer(viaApi.key), 401)).code).toBe("invalid_api_key");

    // Another isolate (here: a direct write) revoking: this isolate's memo holds it for up to the TTL.
    const elsewhere = await createKey({ name: "rev-elsewhere" });
    expect((await infer(elsewhere.key)).status).toBe(200);
    const revokedAt = Date.now();
    await stack.database.db.update(apiKeys).set({ revokedAt: new Date() }).where(eq(apiKeys.id, elsewhere.id));
    await waitFor(async () => (await infer(elsewhere.key)).status === 401, {
      timeoutMs: 10_000,
      intervalMs: 50,
      what: "revocation",
    });
    // The TTL plus the one request served while the reload runs, plus slack for a loaded machine:
    // far below the 30 s default, so this fails if the configured TTL were not what bounds it.
    expect(Date.now() - revokedAt).toBeLessThan(TTL_MS + 5_000);
  });

  it("limits a key to its allow-list (403 model_not_allowed), and GET /v1/models to it too", async () => {
    const code = uniqueSlug("off");
    await createOffering(stack.database.db, { orgId: stack.tenant.orgId, modelUuid: stack.modelUuid, code });
    const offering = `${stack.tenant.slug}/${code}`;
    const onlyOffering = await createKey({ name: "allow", models: [offering] });
    expect(onlyOffering.models).toEqual([offering]);
    expect((await infer(onlyOffering.key, offering)).status).toBe(200);
    expect(await errorCode(await infer(onlyOffering.key, stack.model), 403)).toMatchObject({
      code: "model_not_allowed",
      param: "model",
    });
    const listed = await json<{ data: { id: string }[] }>(
      await stack.call("GET", "/v1/models", { key: onlyOffering.key }),
      200,
    );
    expect(listed.data.map((m) => m.id)).toEqual([offering]);

    // By uuid, stored as the Hugging Face id; a PATCH to null lifts the limit at once.
    const byUuid = await createKey({ name: "allow-uuid", models: [stack.modelUuid] });
    expect(byUuid.models).toEqual([stack.model]);
    const patched = await json<KeyJson>(
      await stack.call("PATCH", `/api-keys/${onlyOffering.id}`, { body: { models: null, name: "open" } }),
      200,
    );
    expect(patched).toMatchObject({ models: null, name: "open" });
    expect((await infer(onlyOffering.key, stack.model)).status).toBe(200);
  });

  it("never lets a key create or manage a key with more power than its own", async () => {
    const limited = await createKey({
      name: "limited-admin",
      role: "admin",
      models: [stack.model],
      expires_at: Math.floor(Date.now() / 1000) + 3600,
    });
    const tryCreate = (body: Record<string, unknown>) => stack.call("POST", "/api-keys", { key: limited.key, body });
    expect(await errorCode(await tryCreate({ name: "all-models" }), 403)).toMatchObject({
      code: "key_power_exceeded",
      param: "models",
    });
    expect(await errorCode(await tryCreate({ name: "forever", models: [stack.model] }), 403)).toMatchObject({
      param: "expires_at",
    });
    const within = await json<KeyJson>(
      await tryCreate({ name: "ok", models: [stack.model], expires_at: Math.floor(Date.now() / 1000) + 60 }),
      201,
    );
    expect(within.role).toBe("member");
    // The tenant's unrestricted admin key is out of its reach: no rotating (stealing) or revoking it.
    const [adminRow] = await stack.database.db
      .select()
      .from(apiKeys)
      .where(eq(apiKeys.keyPrefix, stack.tenant.adminKey.slice(0, 12)));
    const res = await stack.call("POST", `/api-keys/${adminRow?.id}/rotate`, { key: limited.key, body: {} });
    expect((await errorCode(res, 403)).code).toBe("key_power_exceeded");
    // Nor widening a key it manages.
    const widen = await stack.call("PATCH", `/api-keys/${within.id}`, { key: limited.key, body: { models: null } });
    expect((await errorCode(widen, 403)).param).toBe("models");
  });
});
