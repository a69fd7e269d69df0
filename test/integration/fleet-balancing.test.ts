// Load balancing against real mock GPU hosts: least live load with random tie-breaks, deep queues
// avoided, no herding in a burst, stale and non-ready hosts never chosen, 503 when none is ready.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CONFIG_VARS } from "../../worker/config-vars";
import { chatOnce, getInstance, tally } from "../support/fleet";
import { type Stack, startStack } from "../support/stack";
import { waitFor } from "../support/wait";

describe("two equal workers", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ hosts: 2 });
  });
  afterAll(() => stack?.dispose());

  it("uses both", async () => {
    const served = [];
    for (let i = 0; i < 20; i++) served.push(await chatOnce(stack, { content: `Test ${i}` }));
    expect(served.every((s) => s.status === 200)).toBe(true);
    expect([...tally(served.map((s) => s.instance)).keys()].sort()).toEqual(
      stack.hosts.map((h) => h.instance.id).sort(),
    );
  });

  it("avoids a worker that reports a deep queue", async () => {
    const [deep, idle] = stack.hosts;
    deep!.gpu.setReportedQueueDepth(20);
    await deep!.gpu.heartbeatNow();
    expect((await getInstance(stack, deep!.instance.id)).live?.live_load).toBe(20);
    // Spare leases the isolate took before the report may still go to it, for at most their TTL.
    await new Promise((resolve) => setTimeout(resolve, CONFIG_VARS.FLEET_SPARE_TTL_MS.default + 20));
    const before = deep!.gpu.stats().requests;
    for (let i = 0; i < 10; i++) expect((await chatOnce(stack)).instance).toBe(idle!.instance.id);
    expect(deep!.gpu.stats().requests).toBe(before);
    deep!.gpu.setReportedQueueDepth(undefined);
    await deep!.gpu.heartbeatNow();
  });
});

describe("a burst over four equal workers", () => {
  let stack: Stack;
  beforeAll(async () => {
    // Slow enough that all 40 requests overlap: the spread comes from the router's own leases.
    stack = await startStack({ hosts: 4, host: { ttftMs: 400 } });
  });
  afterAll(() => stack?.dispose());

  it("gives no worker more than 1.5× its fair share of 40 concurrent requests", async () => {
    const served = await Promise.all(
      Array.from({ length: 40 }, (_, i) => chatOnce(stack, { content: `burst ${i}`, extra: { max_tokens: 2 } })),
    );
    expect(served.map((s) => s.status)).toEqual(Array(40).fill(200));
    const counts = tally(served.map((s) => s.instance));
    expect(counts.size).toBe(4);
    for (const n of counts.values()) expect(n).toBeLessThanOrEqual(15);
    // Leases, not luck: random choice alone stays within 3 of even only ~14% of the time.
    expect(Math.max(...counts.values()) - Math.min(...counts.values())).toBeLessThanOrEqual(3);
    for (const h of stack.hosts) expect(h.gpu.stats().requests).toBe(counts.get(h.instance.id));
  });
});

// Skipped (both tests share their hosts): since router-side probes, a host whose agent went silent but whose
// /health still answers stays routable (the fresher signal wins). To be rewritten so the silent host also fails its probes.
describe("stale and non-ready workers", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ hosts: 0, vars: { STALE_AFTER_SECONDS: "2" } });
  });
  afterAll(() => stack?.dispose());

  it("never chooses a worker whose heartbeats stopped and whose engine died, nor one that is not ready", async () => {
    // A silent agent alone is no verdict (a host without an agent is probed only); its engine dying is.
    const silent = await stack.addHost({ heartbeatMs: 3_600_000 });
    silent.gpu.setFaults({ engineDead: true });
    const starting = await stack.addHost({ workerStatus: "starting", heartbeatMs: 500 });
    const healthy = await stack.addHost({ heartbeatMs: 500 });
    await waitFor(
      async () => (await getInstance(stack, silent.instance.id)).live?.unroutable_reason === "worker_unhealthy",
      { timeoutMs: 15_000, what: "the silent host's probes to take it out" },
    );
    expect((await getInstance(stack, starting.instance.id)).live).toMatchObject({
      routable: false,
      unroutable_reason: "worker_not_ready",
    });
    for (let i = 0; i < 10; i++) expect((await chatOnce(stack)).instance).toBe(healthy.instance.id);
    for (let i = 0; i < 5; i++)
      expect((await chatOnce(stack, { session: `fresh-only-${i}` })).instance).toBe(healthy.instance.id);
    expect(silent.gpu.stats().requests).toBe(0);
    expect(starting.gpu.stats().requests).toBe(0);
  });

  it("answers 503 in OpenAI's shape with Retry-After when no worker is ready", async () => {
    for (const h of stack.hosts) {
      h.gpu.setWorkerStatus("draining");
      await h.gpu.heartbeatNow();
    }
    for (const session of [undefined, "no-worker-session"]) {
      const res = await chatOnce(stack, { session });
      expect(res.status).toBe(503);
      expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
      expect(JSON.parse(res.body)).toMatchObject({
        error: { type: "service_unavailable", code: "no_worker_available", message: expect.stringContaining("ready") },
      });
    }
  });
});
