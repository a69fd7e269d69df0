// The seed system's worker agent, exactly as it sends: register without status or base URL, then
// heartbeats whose queue_depth is waiting only. Accepted, and they make its host routable.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type MockGpu, startMockGpu } from "../../dev/mock-gpu/server";
import { createInstance } from "../support/fixtures";
import { seedHeartbeat, seedRegister } from "../support/seed-agent";
import { chat, type Stack, startStack } from "../support/stack";

let stack: Stack;
let gpu: MockGpu;
beforeAll(async () => {
  // Probes far apart: the agent's word alone must admit the host.
  stack = await startStack({ hosts: 0, vars: { PROBE_INTERVAL_SECONDS: "3600" } });
  gpu = await startMockGpu({ model: stack.model, noAgent: true });
});
afterAll(async () => {
  await gpu?.close();
  await stack?.dispose();
});

describe("the seed system's worker agent", () => {
  it("registers and heartbeats with its exact bodies; its host becomes routable and shows its facts", async () => {
    const instance = await createInstance(stack.database.db, {
      orgId: stack.tenant.orgId,
      modelUuid: stack.modelUuid,
      baseUrl: gpu.url,
    });
    const send = (path: string, body: unknown) =>
      fetch(`${stack.router.url}/internal/worker/${path}`, {
        method: "POST",
        headers: { authorization: `Bearer ${instance.token}`, "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    const registered = await send("register", seedRegister(instance.id, "127.0.0.1", gpu.port, stack.model));
    expect(registered.status).toBe(200);
    expect((await stack.post("/v1/chat/completions", chat(stack))).status).toBe(503); // starting, until it says ready
    const beat = await send("heartbeat", seedHeartbeat(instance.id, "127.0.0.1", stack.model, 0));
    expect([beat.status, await beat.json()]).toEqual([
      200,
      { instance_id: instance.id, status: "ready", accepted: true },
    ]);
    const res = await stack.post("/v1/chat/completions", chat(stack));
    expect([res.status, res.headers.get("x-inventiv-instance")]).toEqual([200, instance.id]);
    const nullDepth = await send("heartbeat", seedHeartbeat(instance.id, "127.0.0.1", stack.model, null));
    expect(nullDepth.status).toBe(200);
    const view = (await (await stack.call("GET", `/instances/${instance.id}`)).json()) as Record<string, unknown>;
    expect(view).toMatchObject({
      status: "ready",
      routable: true,
      base_url: gpu.url,
      agent: { worker_id: "worker-gpu-01", version: "1.4.2", gpu_utilization: 87, gpu_count: 2 },
      load: { source: "heartbeat", waiting: 0, running: 6 },
    });
  });
});
