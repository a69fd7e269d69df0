// Sticky sessions against real mock GPU hosts: one worker per session, sessions spread over the
// fleet, and a session whose worker is terminated (admin API, or SQL) or drained moves with no error.
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { instances } from "../../schema";
import { chatOnce, getInstance, tally } from "../support/fleet";
import { type Stack, startStack } from "../support/stack";
import { waitFor } from "../support/wait";

const sessionDetail = async (stack: Stack, id: string) =>
  (await (await stack.call("GET", `/v1/sessions/${id}`)).json()) as {
    instance_id: string;
    pin: { repins: { from: string | null; to: string; reason: string }[] };
  };

describe("session affinity", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ hosts: 3 });
  });
  afterAll(() => stack?.dispose());

  it("sends 10 requests of one session to one instance", async () => {
    const served = [];
    for (let i = 0; i < 10; i++) served.push(await chatOnce(stack, { session: "sticky-1", content: `turn ${i}` }));
    expect(served.map((s) => s.status)).toEqual(Array(10).fill(200));
    expect(new Set(served.map((s) => s.instance)).size).toBe(1);
  });

  it("spreads 50 sessions over all the workers", async () => {
    const firsts = [];
    for (let i = 0; i < 50; i++) firsts.push((await chatOnce(stack, { session: `spread-${i}` })).instance);
    const counts = tally(firsts);
    expect([...counts.keys()].sort()).toEqual(stack.hosts.map((h) => h.instance.id).sort());
    for (const n of counts.values()) expect(n).toBeGreaterThanOrEqual(5);
    // And each stays where it was pinned.
    for (let i = 0; i < 50; i += 7)
      expect((await chatOnce(stack, { session: `spread-${i}` })).instance).toBe(firsts[i]);
  });

  it("moves a session whose worker an admin terminated, with no error", async () => {
    const first = await chatOnce(stack, { session: "terminated-by-api" });
    expect(first.status, first.body).toBe(200);
    const pinned = first.instance!;
    const del = await stack.call("DELETE", `/instances/${pinned}`);
    expect(del.status, await del.clone().text()).toBe(200);
    const before = stack.hosts.find((h) => h.instance.id === pinned)!.gpu.stats().requests;
    const next = await chatOnce(stack, { session: "terminated-by-api" });
    expect(next.status).toBe(200);
    expect(next.instance).not.toBe(pinned);
    expect(stack.hosts.find((h) => h.instance.id === pinned)!.gpu.stats().requests).toBe(before);
    const detail = await sessionDetail(stack, "terminated-by-api");
    expect(detail.instance_id).toBe(next.instance);
    expect(detail.pin.repins.at(-1)).toEqual({
      at: expect.any(Number),
      from: pinned,
      to: next.instance,
      reason: "worker_retired",
    });
  });

  it("moves a session whose worker was set to terminating by a SQL UPDATE, once routing has it (within 10 s)", async () => {
    let session = "";
    let pinned = "";
    // Pin a session to a worker that is still in service.
    for (let i = 0; !pinned; i++) {
      const s = await chatOnce(stack, { session: `terminated-by-sql-${i}` });
      expect(s.status).toBe(200);
      if ((await getInstance(stack, s.instance!)).status === "ready")
        [session, pinned] = [`terminated-by-sql-${i}`, s.instance!];
    }
    await stack.database.db.update(instances).set({ status: "terminating" }).where(eq(instances.id, pinned));
    await waitFor(async () => (await getInstance(stack, pinned)).live?.status === "terminating", {
      timeoutMs: 10_000,
      intervalMs: 200,
      what: "routing to see the SQL status",
    });
    const next = await chatOnce(stack, { session });
    expect(next.status).toBe(200);
    expect(next.instance).not.toBe(pinned);
    expect((await sessionDetail(stack, session)).pin.repins.at(-1)).toMatchObject({
      from: pinned,
      reason: "worker_retired",
    });
  });
});

describe("draining", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ hosts: 2, host: { tokenDelayMs: 15 } });
  });
  afterAll(() => stack?.dispose());

  it("lets in-flight requests finish, moves pinned sessions on their next request and takes no unpinned work", async () => {
    const first = await chatOnce(stack, { session: "drain-me", extra: { max_tokens: 4 } });
    const pinned = first.instance!;
    const pinnedHost = stack.hosts.find((h) => h.instance.id === pinned)!;
    // A slow stream on the pinned worker is running while the worker is drained.
    const running = chatOnce(stack, {
      session: "drain-me",
      content: "a long answer ".repeat(10),
      extra: { stream: true },
    });
    await waitFor(() => pinnedHost.gpu.stats().inflight === 1, { what: "the stream to start" });
    expect((await stack.call("POST", `/instances/${pinned}/drain`)).status).toBe(200);

    const moved = await chatOnce(stack, { session: "drain-me", extra: { max_tokens: 4 } });
    expect(moved.status).toBe(200);
    expect(moved.instance).not.toBe(pinned);
    for (let i = 0; i < 5; i++) expect((await chatOnce(stack, { extra: { max_tokens: 4 } })).instance).not.toBe(pinned);
    for (let i = 0; i < 5; i++)
      expect((await chatOnce(stack, { session: `new-during-drain-${i}`, extra: { max_tokens: 4 } })).instance).not.toBe(
        pinned,
      );

    const finished = await running;
    expect(finished.status).toBe(200);
    expect(finished.instance).toBe(pinned);
    expect(finished.body).toContain("data: [DONE]");
    expect(pinnedHost.gpu.stats()).toMatchObject({ inflight: 0, cancelled: 0, cut: 0 });
  });
});
