// FleetState routing in tokens on a hand-driven clock: open work in tokens, reported queues while
// fresh, decode rates and slots learnt from completed streams, a declared max_num_seqs, and a
// session kept on its host within the bound. Plain code, no workerd.
import { describe, expect, it } from "vitest";
import { defaultTokenPolicy } from "../../worker/routing/token-load";
import { fleet, leaseOf, row, seen } from "./support/fleet-state";

describe("FleetState routing in tokens", () => {
  const cost = (outputTokens: number) => ({ promptTokens: 0, outputTokens });

  it("sends a request where the least work is open in tokens, not where the fewest requests are", () => {
    const { state } = fleet();
    state.observe(seen("a"));
    state.observe(seen("b"));
    expect(leaseOf(state.acquire({ cost: cost(4_000) })).instanceId).toBe("a");
    // Counted in requests, the second short one would tie with a (1 vs 1) and go there.
    expect(leaseOf(state.acquire({ cost: cost(50) })).instanceId).toBe("b");
    expect(leaseOf(state.acquire({ cost: cost(50) })).instanceId).toBe("b");
  });

  it("counts a host's reported queue beyond our leases until the reading is too old", () => {
    const { state, clock } = fleet();
    state.observe(seen("a", { queueDepth: 6 }));
    state.observe(seen("b"));
    expect(leaseOf(state.acquire({ cost: cost(10) })).instanceId).toBe("b");
    expect(leaseOf(state.acquire({ cost: cost(10) })).instanceId).toBe("b");
    clock.t += defaultTokenPolicy.readingMaxAgeMs + 1;
    expect(leaseOf(state.acquire({ cost: cost(10) })).instanceId).toBe("a");
  });

  it("frees a lease's tokens on release", () => {
    const { state } = fleet();
    state.observe(seen("a"));
    state.observe(seen("b"));
    const big = leaseOf(state.acquire({ cost: cost(4_000) }));
    expect(leaseOf(state.acquire({ cost: cost(10) })).instanceId).toBe("b");
    state.release(big.leaseId, "ok");
    expect(leaseOf(state.acquire({ cost: cost(10) })).instanceId).toBe("a");
  });

  it("learns a host's decode rate from completed streams and sends work where it ends first", () => {
    const { state } = fleet();
    state.observe(seen("fast"));
    state.observe(seen("slow"));
    const one = leaseOf(state.acquire({ cost: cost(100) }));
    const two = leaseOf(state.acquire({ cost: cost(100) }));
    expect([one.instanceId, two.instanceId]).toEqual(["fast", "slow"]);
    state.release(one.leaseId, "ok", { outputTokens: 100, decodeMs: 1_000 });
    state.release(two.leaseId, "ok", { outputTokens: 100, decodeMs: 10_000 });
    // Slow is idle and fast busy, but 100 tokens take 1 s on fast, 10 s on slow.
    state.acquire({ only: "fast", cost: cost(100) });
    state.acquire({ only: "fast", cost: cost(100) });
    expect(leaseOf(state.acquire({ cost: cost(100) })).instanceId).toBe("fast");
  });

  it("learns a host's slots from a queue it reports, and then counts the wait for one", () => {
    const { state, clock } = fleet();
    state.observe(seen("a"));
    state.observe(seen("b"));
    for (const id of ["a", "b"]) {
      const lease = leaseOf(state.acquire({ only: id, cost: cost(100) }));
      state.release(lease.leaseId, "ok", { outputTokens: 100, decodeMs: 1_000 });
    }
    // a runs 2 while 1 waits: two slots, all taken; b, as fast, has room.
    clock.t += 1;
    state.observe(seen("a", { queueDepth: 3, waiting: 1 }));
    for (let i = 0; i < 3; i++) state.acquire({ only: "b", cost: cost(100) });
    expect(leaseOf(state.acquire({ cost: cost(100) })).instanceId).toBe("b");
  });

  it("counts a declared max_num_seqs from the first request, and takes a changed one from the control plane", () => {
    const { state, clock } = fleet();
    const admitted = {
      result: { alive: true as const, models: { ok: true as const } },
      load: null,
      startedAt: clock.t,
    };
    for (const [id, maxNumSeqs] of [
      ["one-slot", 1],
      ["roomy", null],
    ] as const) {
      state.admit({
        instanceId: id,
        baseUrl: `http://${id}`,
        model: "m",
        sealedApiKey: null,
        knownStatus: "ready",
        maxNumSeqs,
      });
      state.probed(id, admitted);
    }
    state.acquire({ only: "one-slot", cost: cost(100) });
    state.acquire({ only: "roomy", cost: cost(100) });
    state.acquire({ only: "roomy", cost: cost(100) });
    // Counted in tokens alone one-slot has less open (100 vs 200); its only slot is taken, so the request would wait.
    expect(leaseOf(state.acquire({ cost: cost(100) })).instanceId).toBe("roomy");
    state.sync([row("one-slot", "ready", 256), row("roomy", "ready")], clock.t);
    expect(leaseOf(state.acquire({ cost: cost(100) })).instanceId).toBe("one-slot");
  });

  it("keeps a session on its host under load within the bound, and moves it off a saturated host", () => {
    const { state } = fleet();
    state.observe(seen("a"));
    state.observe(seen("b"));
    const first = state.acquire({ session: { pinnedId: null }, cost: cost(100) });
    expect(first).toMatchObject({ ok: true, lease: { instanceId: "a" }, repin: "first_request" });
    for (let i = 0; i < 10; i++) state.acquire({ only: "a", cost: cost(100) });
    // Ten requests busier than b (the old policy moved it past 4): below every slot, so no wait to avoid.
    expect(state.acquire({ session: { pinnedId: "a" }, cost: cost(100) })).toMatchObject({
      lease: { instanceId: "a" },
      repin: null,
    });
    state.observe(seen("a", { queueDepth: 6, waiting: 6 }));
    expect(state.acquire({ session: { pinnedId: "a" }, cost: cost(100) })).toMatchObject({
      lease: { instanceId: "b" },
      repin: "overloaded",
    });
  });
});
