// Tenants never share GPU hosts: another organization registering a host for the same model
// must not receive this organization's prompts, and the other way round.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type MockGpu, startMockGpu } from "../../dev/mock-gpu/server";
import { freePort } from "../../dev/ports";
import { createInstance, createTenant, type Tenant } from "../support/fixtures";
import { chat, type Stack, startStack } from "../support/stack";

let stack: Stack;
let other: Tenant;
let otherHost: MockGpu;
let otherInstance: string;

beforeAll(async () => {
  stack = await startStack({ hosts: 1 });
  other = await createTenant(stack.database.db, "rival");
  const port = await freePort();
  const instance = await createInstance(stack.database.db, {
    orgId: other.orgId,
    modelUuid: stack.modelUuid,
    baseUrl: `http://127.0.0.1:${port}`,
  });
  otherInstance = instance.id;
  otherHost = await startMockGpu({
    port,
    model: stack.model,
    router: stack.router.url,
    instanceId: instance.id,
    token: instance.token,
  });
  await otherHost.heartbeatNow();
});
afterAll(async () => {
  await otherHost?.close();
  await stack?.dispose();
});

describe("tenant isolation", () => {
  it("routes each organization only to its own hosts of a shared model", async () => {
    const own = stack.hosts[0]!;
    for (let i = 0; i < 10; i++) {
      const mine = await stack.post("/v1/chat/completions", chat(stack, `mine ${i}`));
      expect(mine.headers.get("x-inventiv-instance")).toBe(own.instance.id);
      await mine.text();
      const theirs = await stack.post("/v1/chat/completions", chat(stack, `theirs ${i}`), {
        authorization: `Bearer ${other.memberKey}`,
      });
      expect(theirs.headers.get("x-inventiv-instance")).toBe(otherInstance);
      await theirs.text();
    }
    expect(otherHost.stats().requests).toBe(10);
    expect(own.gpu.stats().requests).toBe(10);
  });

  it("answers 503 to an organization with no hosts for the model, even while another has some", async () => {
    const empty = await createTenant(stack.database.db, "empty");
    const res = await stack.post("/v1/chat/completions", chat(stack), { authorization: `Bearer ${empty.memberKey}` });
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ error: { code: "no_worker_available" } });
  });
});
