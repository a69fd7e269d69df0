// The local stack's mock provider: a `mock` deployment without base_url is only recorded by the
// router; the dev side (dev/mock-provisioner.ts) starts its simulated host, which joins by
// heartbeat; deleting the instance stops it. The seed's two mock E2E scripts run against it.
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { listening } from "../support/processes";
import { runScript as runScriptAs } from "../support/scripts";
import { chat, type Stack, startStack } from "../support/stack";
import { waitFor } from "../support/wait";

let stack: Stack;

const runScript = (name: string, env: Record<string, string> = {}) =>
  runScriptAs(
    name,
    {
      API_BASE_URL: stack.router.url,
      API_KEY: stack.tenant.adminKey,
      MODEL: stack.model,
      DATABASE_URL: inject("databaseUrl"),
      ...env,
    },
    300_000,
  );

async function instance(id: string): Promise<Record<string, unknown>> {
  return (await (await stack.call("GET", `/instances/${id}`)).json()) as Record<string, unknown>;
}

beforeAll(async () => {
  stack = await startStack({ hosts: 0, mockProvider: true });
}, 120_000);
afterAll(() => stack?.dispose());

describe("mock provider", () => {
  it("provisions a host for a mock deployment without base_url, serves, and stops it on delete", async () => {
    const created = await stack.post("/deployments", { provider: "mock", model: stack.model });
    expect(created.status).toBe(201);
    const body = (await created.json()) as { id: string; status: string; provider: string };
    expect(body.provider).toBe("mock");
    expect(body.status).toBe("provisioning");
    await waitFor(async () => (await instance(body.id)).status === "ready", {
      timeoutMs: 30_000,
      what: "the mock instance to be ready",
    });
    const host = stack.mockHosts.get(body.id);
    expect(host).toBeDefined();
    expect((await instance(body.id)).base_url).toBe(host?.url);

    const answer = await stack.post("/v1/chat/completions", chat(stack, "Hello mock"));
    expect(answer.status).toBe(200);
    expect(answer.headers.get("x-inventiv-instance")).toBe(body.id);
    expect(host?.stats().requests).toBe(1);

    expect((await stack.call("DELETE", `/instances/${body.id}`)).status).toBe(200);
    await waitFor(() => !stack.mockHosts.has(body.id), { timeoutMs: 30_000, what: "the host to be stopped" });
    expect(await listening(host?.url ?? "")).toBe(false);
    expect((await instance(body.id)).status).toBe("terminated");
  });

  it("test_worker_observability_mock.sh: metrics and finops usage of the created instance", async () => {
    const run = await runScript("test_worker_observability_mock.sh");
    expect(run.code, run.out).toBe(0);
    const [, id] = run.out.match(/mock instance ([0-9a-f-]{36}) created/) ?? [];
    expect(run.out).toContain(`✅ instance_request_metrics for ${id}: requests=3,`);
    expect(run.out).toMatch(new RegExp(`finops.inference_usage for ${id}: rows=3, `));
    expect(run.out).toContain("✅ Mock observability test passed");
    expect(run.out).toContain(`🧹 deleted instance ${id} (HTTP 200)`);
    await waitFor(() => !stack.mockHosts.has(id ?? ""), { timeoutMs: 30_000, what: "its host to be stopped" });
  }, 320_000);

  it("test_worker_observability_mock_multi.sh: sticky sessions, spread without, metrics per instance", async () => {
    const run = await runScript("test_worker_observability_mock_multi.sh", {
      INSTANCES: "3",
      REQUESTS: "9",
      SESSION_REQUESTS: "3",
    });
    expect(run.code, run.out).toBe(0);
    const ids = [...run.out.matchAll(/mock instance ([0-9a-f-]{36}) created/g)].map((m) => m[1]);
    expect(ids).toHaveLength(3);
    expect(run.out).toMatch(/✅ sticky: 3 requests of session [0-9a-f-]+ all on instance [0-9a-f-]{36}/);
    const unsticky = [...run.out.matchAll(/instance ([0-9a-f-]{36}): (\d+) of 9 unsticky/g)];
    expect(unsticky.map((m) => Number(m[2])).reduce((a, b) => a + b, 0)).toBe(9);
    for (const id of ids) expect(run.out).toContain(`🧹 deleted instance ${id} (HTTP 200)`);
    await waitFor(() => stack.mockHosts.size === 0, { timeoutMs: 30_000, what: "their hosts to be stopped" });
  }, 320_000);

  it("fails with a clear message when the key cannot deploy", async () => {
    const run = await runScript("test_worker_observability_mock.sh", { API_KEY: stack.tenant.memberKey });
    expect(run.code).not.toBe(0);
    expect(run.out).toContain("❌ POST /deployments answered 403");
  });
});

describe("without the mock provider (production)", () => {
  it("refuses a mock deployment without base_url with a 400 naming base_url", async () => {
    const plain = await startStack({ hosts: 0 });
    try {
      const response = await plain.post("/deployments", { provider: "mock", model: plain.model });
      expect(response.status).toBe(400);
      const { error } = (await response.json()) as { error: { param: string; code: string; message: string } };
      expect(error.param).toBe("base_url");
      expect(error.message).toContain("MOCK_PROVISIONING is 0");
    } finally {
      await plain.dispose();
    }
  });
});
