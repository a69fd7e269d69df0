// Authentication, model resolution and the error statuses, over HTTP against the real router.
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiKeys } from "../../schema";
import { createApiKey, createModel, createOffering, createTenant, uniqueSlug } from "../support/fixtures";
import { chat, type Stack, startStack } from "../support/stack";

let stack: Stack;

beforeAll(async () => {
  stack = await startStack({
    hosts: 1,
    vars: { UPSTREAM_TIMEOUT_MS: "1500", UPSTREAM_GENERATION_TIMEOUT_MS: "1500", MAX_BODY_BYTES: "65536" },
  });
});
afterAll(() => stack?.dispose());

const call = (
  path: string,
  init: { key?: string | null; headers?: Record<string, string>; body?: unknown; method?: string } = {},
) =>
  fetch(`${stack.router.url}${path}`, {
    method: init.method ?? (init.body === undefined ? "GET" : "POST"),
    headers: {
      ...(init.key === null ? {} : { authorization: `Bearer ${init.key ?? stack.tenant.memberKey}` }),
      "content-type": "application/json",
      ...init.headers,
    },
    body: init.body === undefined ? undefined : typeof init.body === "string" ? init.body : JSON.stringify(init.body),
  });

async function expectError(res: Response, status: number, code?: string) {
  expect(res.status).toBe(status);
  const body = (await res.json()) as { error: Record<string, unknown> };
  expect(Object.keys(body.error).sort()).toEqual(["code", "message", "param", "type"]);
  if (code) expect(body.error.code).toBe(code);
  return body.error;
}

describe("API keys", () => {
  it("accepts Bearer and X-API-Key", async () => {
    expect((await call("/v1/models")).status).toBe(200);
    expect((await call("/v1/models", { key: null, headers: { "x-api-key": stack.tenant.memberKey } })).status).toBe(
      200,
    );
  });
  it("answers 401 for a missing, unknown or revoked key", async () => {
    await expectError(await call("/v1/models", { key: null }), 401, "missing_api_key");
    await expectError(await call("/v1/models", { key: "sk-inv-unknown" }), 401, "invalid_api_key");
    const revoked = await createApiKey(stack.database.db, stack.tenant.orgId, "member", { revoked: true });
    await expectError(await call("/v1/chat/completions", { key: revoked, body: chat(stack) }), 401, "invalid_api_key");
  });
  it("stores only a hash and a display prefix, and records last use", async () => {
    const [row] = await stack.database.db
      .select()
      .from(apiKeys)
      .where(eq(apiKeys.keyPrefix, stack.tenant.memberKey.slice(0, 12)));
    expect(row?.keyHash).toMatch(/^[0-9a-f]{64}$/);
    expect(row?.keyHash).not.toContain(stack.tenant.memberKey);
    expect(row?.lastUsedAt).not.toBeNull();
  });
});

describe("model resolution over HTTP (the seed's six cases)", () => {
  it("routes by UUID, by Hugging Face id and by the caller's offering, rewriting model upstream", async () => {
    const host = stack.hosts[0]!.gpu;
    const code = uniqueSlug("off");
    await createOffering(stack.database.db, { orgId: stack.tenant.orgId, modelUuid: stack.modelUuid, code });
    for (const model of [stack.modelUuid, stack.model, `${stack.tenant.slug}/${code}`]) {
      const res = await call("/v1/chat/completions", { body: { ...chat(stack), model } });
      expect(res.status, model).toBe(200);
      expect(host.stats().lastModels.at(-1)).toBe(stack.model);
    }
  });
  it("answers 404 for an unknown UUID and for an inactive model", async () => {
    await expectError(
      await call("/v1/chat/completions", { body: { ...chat(stack), model: "7d1f0a3e-0000-4000-8000-000000000000" } }),
      404,
      "model_not_found",
    );
    const inactive = `test/${uniqueSlug("inactive")}`;
    await createModel(stack.database.db, { modelId: inactive, isActive: false });
    await expectError(
      await call("/v1/chat/completions", { body: { ...chat(stack), model: inactive } }),
      404,
      "model_not_found",
    );
  });
  it("answers 403 for another organization's offering", async () => {
    const other = await createTenant(stack.database.db, "other");
    const code = uniqueSlug("private");
    await createOffering(stack.database.db, { orgId: other.orgId, modelUuid: stack.modelUuid, code });
    await expectError(
      await call("/v1/chat/completions", { body: { ...chat(stack), model: `${other.slug}/${code}` } }),
      403,
      "offering_forbidden",
    );
  });
});

describe("bad input", () => {
  it("answers 400 for invalid JSON, a missing model or messages, and a bad session key", async () => {
    await expectError(await call("/v1/chat/completions", { body: "{not json" }), 400, "invalid_json");
    await expectError(
      await call("/v1/chat/completions", { body: { messages: [{ role: "user", content: "x" }] } }),
      400,
    );
    expect((await expectError(await call("/v1/chat/completions", { body: { model: stack.model } }), 400)).param).toBe(
      "messages",
    );
    await expectError(
      await call("/v1/chat/completions", { body: chat(stack), headers: { "x-inventiv-session": "has spaces" } }),
      400,
    );
    const badOptions = await expectError(
      await call("/v1/chat/completions", { body: chat(stack, "x", { stream: true, stream_options: "usage" }) }),
      400,
    );
    expect(badOptions.param).toBe("stream_options");
  });
  it("answers 413 for a body over the limit", async () => {
    const huge = "x".repeat(70_000);
    await expectError(await call("/v1/chat/completions", { body: chat(stack, huge) }), 413, "request_too_large");
  });
  it("answers 404 in OpenAI's shape for an unknown route", async () => {
    await expectError(await call("/v1/nothing"), 404, "route_not_found");
  });
});

describe("GPU host failures", () => {
  it("answers 502 when the only host refuses connections, 504 when it hangs, and 503 when none is ready", async () => {
    const gpu = stack.hosts[0]!.gpu;
    gpu.setFaults({ refuse: true });
    await expectError(await call("/v1/chat/completions", { body: chat(stack) }), 502);
    gpu.setFaults({});
    // The failure ejected the only host, but a fleet that is all cooling down is still tried
    // (panic): the host has recovered, so the next request is served instead of refused.
    expect((await call("/v1/chat/completions", { body: chat(stack) })).status).toBe(200);
    stack.hosts[0]!.gpu.setWorkerStatus("draining");
    await stack.hosts[0]!.gpu.heartbeatNow();
    const res = await call("/v1/chat/completions", { body: chat(stack) });
    await expectError(res, 503, "no_worker_available");
    expect(res.headers.get("retry-after")).toBeTruthy();
  });
  it("answers 504 when a host accepts but never answers", async () => {
    const first = stack.hosts[0]!.gpu;
    first.setWorkerStatus("draining");
    await first.heartbeatNow();
    const host = await stack.addHost();
    host.gpu.setFaults({ hang: true });
    await expectError(await call("/v1/chat/completions", { body: chat(stack) }), 504, "upstream_timeout");
    host.gpu.setFaults({});
    host.gpu.setWorkerStatus("draining");
    await host.gpu.heartbeatNow();
  });
});

describe("request ids and health", () => {
  it("generates an X-Request-Id when the client sends none, and forwards it", async () => {
    const host = await stack.addHost();
    const res = await call("/v1/embeddings", { body: { model: stack.model, input: "hi" } });
    expect(res.status).toBe(200);
    const id = res.headers.get("x-request-id");
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.headers.get("x-inventiv-instance")).toBe(host.instance.id);
    expect(host.gpu.stats().lastRequestIds).toContain(id);
  });
  it("reports Postgres reachability on /health without auth", async () => {
    const res = await call("/health", { key: null });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: "ok", database: { status: "ok" } });
  });
});
