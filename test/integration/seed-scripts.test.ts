// The seed plan's three shell scripts, run as a user would (bash + curl), against a test router.
// MODEL points them at this stack's model; everything else is as the seed wrote them.
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { instanceRequestMetrics } from "../../schema";
import { runScript as runScriptAs } from "../support/scripts";
import { type Stack, startStack } from "../support/stack";
import { waitFor } from "../support/wait";

let stack: Stack;

const runScript = (name: string, env: Record<string, string> = {}) =>
  runScriptAs(name, { API_BASE_URL: stack.router.url, API_KEY: stack.tenant.memberKey, MODEL: stack.model, ...env });

beforeAll(async () => {
  stack = await startStack({ hosts: 2 });
});
afterAll(() => stack?.dispose());

describe("seed scripts", () => {
  it("test_chat_session.sh: both requests of the session on one instance", async () => {
    const run = await runScript("test_chat_session.sh");
    expect(run.code, run.out).toBe(0);
    expect(run.out).toContain("✅ Session test passed");
    const used = [...run.out.matchAll(/completed \(instance ([0-9a-f-]+)\)/g)].map((m) => m[1]);
    expect(used).toHaveLength(2);
    expect(used[0]).toBe(used[1]);
    expect(stack.hosts.map((h) => h.instance.id)).toContain(used[0]);
  });

  it("test_load_balancing.sh: requests spread over both workers", async () => {
    const run = await runScript("test_load_balancing.sh", { REQUESTS: "16", PAUSE: "0" });
    expect(run.code, run.out).toBe(0);
    const perInstance = new Map(
      [...run.out.matchAll(/instance ([0-9a-f-]+): (\d+)/g)].map((m) => [m[1], Number(m[2])]),
    );
    expect([...perInstance.keys()].sort()).toEqual(stack.hosts.map((h) => h.instance.id).sort());
    expect([...perInstance.values()].reduce((a, b) => a + b, 0)).toBe(16);
  });

  it("test_token_tracking.sh: tokens in the answer, and in instance_request_metrics", async () => {
    const run = await runScript("test_token_tracking.sh");
    expect(run.code, run.out).toBe(0);
    const [, input, output, total, instance] =
      run.out.match(/input=(\d+), output=(\d+), total=(\d+) \(instance ([0-9a-f-]+)\)/) ?? [];
    expect(Number(input) + Number(output)).toBe(Number(total));
    await waitFor(
      async () => {
        const [m] = await stack.database.db
          .select()
          .from(instanceRequestMetrics)
          .where(eq(instanceRequestMetrics.instanceId, instance!));
        return (m?.totalRequests ?? 0) > 0 && (m?.inputTokens ?? 0) >= Number(input);
      },
      { what: "the metrics row" },
    );
  });

  it("fail when they should: no API key, an unknown model, no worker ready", async () => {
    expect((await runScript("test_chat_session.sh", { API_KEY: "" })).out).toContain("API_KEY not set");
    const unknown = await runScript("test_token_tracking.sh", { MODEL: "nobody/nothing" });
    expect(unknown.code).not.toBe(0);
    expect(unknown.out).toContain("model_not_found");
    for (const h of stack.hosts) {
      h.gpu.setWorkerStatus("draining");
      await h.gpu.heartbeatNow();
    }
    const none = await runScript("test_chat_session.sh");
    expect(none.code).not.toBe(0);
    expect(none.out).toContain("no_worker_available");
  });
});
