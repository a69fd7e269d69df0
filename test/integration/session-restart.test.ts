// Seed plan, E2E "Test Session Persistence": a multi-turn session keeps its host and its growing
// context across the router restarting on the same local state (Miniflare persisting Durable Object
// storage, as `wrangler dev` does in .wrangler/state). The pinned host is made busier than the other
// (within the re-pin margin): only a pin that survived keeps the session there.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type MockGpu, startMockGpu } from "../../dev/mock-gpu/server";
import { freePort } from "../../dev/ports";
import { type Router, startRouter } from "../../dev/router-miniflare";
import { openTestDb, type TestDatabase } from "../support/db";
import { createInstance, createModel, createTenant, type Tenant, uniqueSlug } from "../support/fixtures";
import { waitForValue } from "../support/wait";

const persistPath = mkdtempSync(join(tmpdir(), "router-state-"));
let database: TestDatabase;
let tenant: Tenant;
let model: string;
let port: number;
let router: Router | undefined;
const hosts = new Map<string, MockGpu>();

const start = async () => {
  router = await startRouter({
    port,
    persistPath,
    vars: { DATABASE_URL: inject("databaseUrl"), DB_WS_PROXY: inject("wsProxy") },
  });
};

beforeAll(async () => {
  database = openTestDb();
  tenant = await createTenant(database.db);
  model = `test/${uniqueSlug("model")}`;
  const modelUuid = await createModel(database.db, { modelId: model, priceInputPer1k: "1", priceOutputPer1k: "1" });
  port = await freePort();
  await start();
  for (let i = 0; i < 2; i++) {
    const hostPort = await freePort();
    const instance = await createInstance(database.db, {
      orgId: tenant.orgId,
      modelUuid,
      baseUrl: `http://127.0.0.1:${hostPort}`,
    });
    const gpu = await startMockGpu({
      model,
      port: hostPort,
      router: `http://127.0.0.1:${port}`,
      instanceId: instance.id,
      token: instance.token,
      heartbeatMs: 1_000,
    });
    await gpu.heartbeatNow();
    hosts.set(instance.id, gpu);
  }
}, 120_000);

afterAll(async () => {
  await router?.dispose();
  for (const gpu of hosts.values()) await gpu.close();
  await database?.close();
  rmSync(persistPath, { recursive: true, force: true });
});

interface Turn {
  instance: string;
  prompt: number;
  total: number;
}

const session = crypto.randomUUID();
const messages: { role: string; content: string }[] = [];

async function turn(content: string): Promise<Turn> {
  messages.push({ role: "user", content });
  const response = await fetch(`${router?.url}/v1/chat/completions`, {
    method: "POST",
    headers: {
      authorization: `Bearer ${tenant.memberKey}`,
      "content-type": "application/json",
      "x-inventiv-session": session,
    },
    body: JSON.stringify({ model, messages }),
  });
  expect(response.status).toBe(200);
  const body = (await response.json()) as {
    choices: { message: { content: string } }[];
    usage: { prompt_tokens: number; total_tokens: number };
  };
  messages.push({ role: "assistant", content: body.choices[0]?.message.content ?? "" });
  return {
    instance: response.headers.get("x-inventiv-instance") ?? "",
    prompt: body.usage.prompt_tokens,
    total: body.usage.total_tokens,
  };
}

interface SessionView {
  instance_id: string;
  requests: number;
  total_tokens: number;
  pin: { instance_id: string; pinned_at: number; requests_routed: number } | null;
}

async function view(): Promise<SessionView> {
  const response = await fetch(`${router?.url}/v1/sessions/${session}`, {
    headers: { authorization: `Bearer ${tenant.memberKey}` },
  });
  return (await response.json()) as SessionView;
}

const settled = (requests: number, tokens: number) =>
  waitForValue(view, (v) => v.requests === requests && v.total_tokens === tokens, {
    timeoutMs: 20_000,
    what: `the session at ${requests} requests, ${tokens} tokens`,
  });

describe("a session across a router restart", () => {
  it("keeps its host, its request count and its token totals", async () => {
    const before = [await turn("Hello"), await turn("What is 2+2?")];
    const pinned = before[0]?.instance ?? "";
    expect(before[1]?.instance).toBe(pinned);
    const tokensBefore = before.reduce((sum, t) => sum + t.total, 0);
    const v1 = await settled(2, tokensBefore);
    expect(v1.pin).toMatchObject({ instance_id: pinned, requests_routed: 2 });

    // The pinned host now looks busier than the other; a fresh pick would go elsewhere.
    const gpu = hosts.get(pinned);
    gpu?.setReportedQueueDepth(2);
    await gpu?.heartbeatNow();

    await router?.dispose();
    router = undefined;
    await start();
    for (const h of hosts.values()) await h.heartbeatNow();

    const after = [await turn("And 3+3?"), await turn("Thanks")];
    expect(after.map((t) => t.instance)).toEqual([pinned, pinned]);
    // The context kept growing: each prompt is longer than the last.
    const prompts = [...before, ...after].map((t) => t.prompt);
    expect([...prompts].sort((a, b) => a - b)).toEqual(prompts);
    expect(new Set(prompts).size).toBe(4);

    const v2 = await settled(4, tokensBefore + after.reduce((sum, t) => sum + t.total, 0));
    expect(v2.instance_id).toBe(pinned);
    expect(v2.pin).toEqual({ ...v1.pin, requests_routed: 4 });
  });
});
