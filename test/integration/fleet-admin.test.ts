// The admin API: deployments with a worker token shown once, instances with live state,
// metrics, drain and terminate, all scoped to the caller's organization.
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type MockGpu, startMockGpu } from "../../dev/mock-gpu/server";
import { freePort } from "../../dev/ports";
import { instances } from "../../schema";
import { createTenant, sha256Hex } from "../support/fixtures";
import { chatOnce, getInstance, type InstanceJson, listInstances } from "../support/fleet";
import { type Stack, startStack } from "../support/stack";
import { waitFor } from "../support/wait";

let stack: Stack;
const extraHosts: MockGpu[] = [];

beforeAll(async () => {
  stack = await startStack({ hosts: 2 });
});
afterAll(async () => {
  await Promise.all(extraHosts.map((h) => h.close()));
  await stack?.dispose();
});

describe("admin API", () => {
  it("needs an admin key: a member key gets 403, no key 401, both in OpenAI's shape", async () => {
    for (const [method, path] of [
      ["GET", "/instances"],
      ["POST", "/deployments"],
      ["GET", `/instances/${stack.hosts[0]!.instance.id}`],
    ] as const) {
      const res = await stack.call(method, path, {
        key: stack.tenant.memberKey,
        body: method === "POST" ? {} : undefined,
      });
      expect(res.status).toBe(403);
      expect(await res.json()).toMatchObject({ error: { type: "permission_error", code: "admin_required" } });
    }
    expect((await fetch(`${stack.router.url}/instances`)).status).toBe(401);
  });

  it("registers a deployment, returns its worker token once and stores only the hash; the host can then serve", async () => {
    const port = await freePort();
    const res = await stack.call("POST", "/deployments", {
      body: { model: stack.model, base_url: `http://127.0.0.1:${port}/`, provider: "mock" },
    });
    expect(res.status).toBe(201);
    const created = (await res.json()) as InstanceJson & { worker_token: string };
    expect(created).toMatchObject({
      object: "instance",
      model: stack.model,
      status: "booting",
      base_url: `http://127.0.0.1:${port}`,
      live: null,
    });
    expect(created.worker_token).toMatch(/^wt-[0-9a-f]{48}$/);
    const [row] = await stack.database.db.select().from(instances).where(eq(instances.id, created.id));
    expect(row?.workerTokenHash).toBe(await sha256Hex(created.worker_token));
    expect(JSON.stringify(row)).not.toContain(created.worker_token);
    expect(JSON.stringify(await getInstance(stack, created.id))).not.toContain(created.worker_token);

    const gpu = await startMockGpu({
      port,
      model: stack.model,
      router: stack.router.url,
      instanceId: created.id,
      token: created.worker_token,
      heartbeatMs: 60_000,
    });
    extraHosts.push(gpu);
    await gpu.heartbeatNow();
    const shown = await getInstance(stack, created.id);
    expect(shown.live).toMatchObject({ status: "ready", worker_status: "ready", routable: true, inflight: 0 });
  });

  it("validates deployments: unknown model 404, a missing model, bad base_url, api_key or provider 400", async () => {
    const noModel = await stack.call("POST", "/deployments", { body: { base_url: "http://127.0.0.1:1" } });
    expect(noModel.status).toBe(400);
    expect(await noModel.json()).toMatchObject({ error: { param: "model", type: "invalid_request_error" } });
    const emptyKey = await stack.call("POST", "/deployments", {
      body: { model: stack.model, base_url: "http://127.0.0.1:1", api_key: "" },
    });
    expect(emptyKey.status).toBe(400);
    expect(await emptyKey.json()).toMatchObject({ error: { param: "api_key", type: "invalid_request_error" } });
    expect(
      (await stack.call("POST", "/deployments", { body: { model: "nobody/nothing", base_url: "http://127.0.0.1:1" } }))
        .status,
    ).toBe(404);
    const badUrl = await stack.call("POST", "/deployments", { body: { model: stack.model, base_url: "ftp://x" } });
    expect(badUrl.status).toBe(400);
    expect(await badUrl.json()).toMatchObject({ error: { param: "base_url", type: "invalid_request_error" } });
    expect(
      (
        await stack.call("POST", "/deployments", {
          body: { model: stack.model, base_url: "http://h", provider: "aws" },
        })
      ).status,
    ).toBe(400);
  });

  it("refuses a host api_key it cannot seal (no HOST_KEY_ENCRYPTION_KEY): 503, and registers nothing", async () => {
    const baseUrl = `http://127.0.0.1:${await freePort()}`;
    const res = await stack.call("POST", "/deployments", {
      body: { model: stack.model, base_url: baseUrl, api_key: "the-hosts-vllm-key" },
    });
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({
      error: {
        message: "Host API keys cannot be stored: HOST_KEY_ENCRYPTION_KEY is not set.",
        type: "service_unavailable",
        param: null,
        code: "host_keys_unavailable",
      },
    });
    expect((await listInstances(stack)).map((i) => i.base_url)).not.toContain(baseUrl);
  });

  it("lists the organization's instances with live status and load", async () => {
    const list = await listInstances(stack);
    const ids = list.map((i) => i.id);
    for (const h of stack.hosts) expect(ids).toContain(h.instance.id);
    const first = list.find((i) => i.id === stack.hosts[0]!.instance.id);
    expect(first).toMatchObject({
      status: "ready",
      live: { status: "ready", routable: true, inflight: 0, live_load: 0 },
    });
  });

  it("hides another organization's instances: 404 on read, drain and delete, absent from the list", async () => {
    const other = await createTenant(stack.database.db, "other");
    const id = stack.hosts[0]!.instance.id;
    for (const [method, path] of [
      ["GET", `/instances/${id}`],
      ["GET", `/instances/${id}/metrics`],
      ["POST", `/instances/${id}/drain`],
      ["DELETE", `/instances/${id}`],
    ] as const) {
      const res = await stack.call(method, path, { key: other.adminKey });
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(await res.json()).toMatchObject({ error: { type: "not_found_error", code: "instance_not_found" } });
    }
    const res = await stack.call("GET", "/instances", { key: other.adminKey });
    expect(((await res.json()) as { data: unknown[] }).data).toEqual([]);
    expect((await stack.call("GET", "/instances/not-a-uuid")).status).toBe(404);
    expect((await getInstance(stack, id)).status).toBe("ready");
  });

  it("shows an instance's request metrics once its usage has landed", async () => {
    const served = await chatOnce(stack, { content: "count me" });
    expect(served.status).toBe(200);
    const id = served.instance!;
    await waitFor(
      async () => {
        const res = await stack.call("GET", `/instances/${id}/metrics`);
        const m = (await res.json()) as { total_requests: number; total_tokens: number; input_tokens: number };
        return m.total_requests >= 1 && m.total_tokens > 0 && m.input_tokens > 0;
      },
      { what: "metrics for the served instance" },
    );
  });

  it("drains then terminates an instance: Postgres and routing both follow, and a terminated one stays put", async () => {
    const [a, b] = stack.hosts;
    const drained = await stack.call("POST", `/instances/${a!.instance.id}/drain`);
    expect(drained.status).toBe(200);
    expect(await drained.json()).toMatchObject({
      status: "draining",
      live: { status: "draining", routable: false, unroutable_reason: "worker_draining" },
    });
    for (let i = 0; i < 5; i++) expect((await chatOnce(stack)).instance).not.toBe(a!.instance.id);

    const deleted = await stack.call("DELETE", `/instances/${a!.instance.id}`);
    expect(await deleted.json()).toMatchObject({
      status: "terminating",
      live: { status: "terminating", routable: false },
    });
    expect((await stack.call("POST", `/instances/${a!.instance.id}/drain`)).status).toBe(409);
    // Nothing runs on it: a following sync (every FLEET_SYNC_SECONDS) retires it for good.
    await waitFor(async () => (await getInstance(stack, a!.instance.id)).status === "terminated", {
      timeoutMs: 15_000,
      intervalMs: 250,
      what: "terminated",
    });
    expect((await getInstance(stack, a!.instance.id)).live?.status).toBe("terminated");
    // Its agent is told to stop, and its heartbeats bring it back neither in Postgres nor in routing.
    const beat = await fetch(`${stack.router.url}/internal/worker/heartbeat`, {
      method: "POST",
      headers: { authorization: `Bearer ${a!.instance.token}`, "content-type": "application/json" },
      body: JSON.stringify({ instance_id: a!.instance.id, status: "ready", queue_depth: 0 }),
    });
    expect(beat.status).toBe(409);
    expect(await beat.json()).toMatchObject({ error: { code: "instance_terminated" } });
    await a!.gpu.heartbeatNow();
    expect(await getInstance(stack, a!.instance.id)).toMatchObject({
      status: "terminated",
      live: { status: "terminated", routable: false },
    });
    expect((await stack.call("DELETE", `/instances/${a!.instance.id}`)).status).toBe(200);
    expect((await getInstance(stack, b!.instance.id)).live?.routable).toBe(true);
  });

  it("keeps a status written by SQL while the host's heartbeats are mirrored, and routing adopts it within 10 s", async () => {
    const c = await stack.addHost();
    await waitFor(async () => (await getInstance(stack, c.instance.id)).status === "ready", {
      what: "promotion mirrored",
    });
    await stack.database.db.update(instances).set({ status: "draining" }).where(eq(instances.id, c.instance.id));
    // A change the host reports makes the router mirror the heartbeat into the row at once.
    c.gpu.setWorkerStatus("starting");
    await c.gpu.heartbeatNow();
    const row = async () =>
      (await stack.database.db.select().from(instances).where(eq(instances.id, c.instance.id)))[0];
    await waitFor(async () => (await row())?.workerStatus === "starting", { what: "heartbeat mirrored" });
    expect((await row())?.status).toBe("draining");
    await waitFor(async () => (await getInstance(stack, c.instance.id)).live?.status === "draining", {
      timeoutMs: 10_000,
      intervalMs: 200,
      what: "routing to adopt the SQL status",
    });
  });
});
