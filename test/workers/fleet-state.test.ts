// FleetState's rules on a hand-driven clock: heartbeat admission, leases and their expiry, the
// circuit breaker (cooldown doubling, half-open), and the control-plane sync. Plain code, no workerd.
import { describe, expect, it } from "vitest";
import type { InstanceStatus } from "../../schema";
import type { AcquireResult, HostObservation } from "../../worker/contracts";
import { FleetState, PERSIST_EVERY_MS } from "../../worker/fleet/fleet-state";
import { LEASE_MAX_AGE_MS } from "../../worker/fleet/leases";
import type { ControlPlaneRow } from "../../worker/routing/control-plane-sync";
import { defaultPolicy } from "../../worker/routing/fleet-policy";
import { defaultTokenPolicy } from "../../worker/routing/token-load";

const START = 1_000_000_000;

function fleet(policy = {}) {
  const clock = { t: START };
  let leases = 0;
  const state = new FleetState(
    { policy: { ...defaultPolicy, ...policy }, tokens: defaultTokenPolicy },
    () => clock.t,
    () => 0,
    () => `lease-${++leases}`,
  );
  return { state, clock };
}

const seen = (instanceId: string, over: Partial<HostObservation> = {}): HostObservation => ({
  instanceId,
  baseUrl: `http://127.0.0.1:1/${instanceId}`,
  hostStatus: "ready",
  queueDepth: 0,
  knownStatus: "booting",
  ...over,
});

const row = (id: string, status: InstanceStatus, maxNumSeqs: number | null = null): ControlPlaneRow => ({
  id,
  status,
  maxNumSeqs,
  baseUrl: `http://127.0.0.1:1/${id}`,
  model: "m",
  sealedApiKey: null,
});

const leaseOf = (r: AcquireResult) => {
  if (!r.ok) throw new Error(r.reason);
  return r.lease;
};

describe("FleetState heartbeats", () => {
  it("admits a booting host as ready when it says ready, and asks for a write only on change or after 30 s", () => {
    const { state, clock } = fleet();
    const first = state.observe(seen("a"));
    expect(first.outcome).toEqual({ ok: true, status: "ready", baseUrl: "http://127.0.0.1:1/a", persist: true });
    expect(first.save).toMatchObject({ instanceId: "a", status: "ready", lastHeartbeatAt: START });
    clock.t += PERSIST_EVERY_MS;
    expect(state.observe(seen("a"))).toEqual({
      outcome: { ok: true, status: "ready", baseUrl: "http://127.0.0.1:1/a", persist: false },
      save: null,
    });
    clock.t += 1;
    expect(state.observe(seen("a")).outcome).toMatchObject({ persist: true });
    expect(state.observe(seen("a", { queueDepth: 3 })).outcome).toMatchObject({ persist: false });
    expect(state.observe(seen("a", { hostStatus: "draining" })).outcome).toMatchObject({ persist: true });
  });

  it("keeps a booting host booting while it says starting, and keeps operator states", () => {
    const { state } = fleet();
    expect(state.observe(seen("a", { hostStatus: "starting" })).outcome).toMatchObject({ status: "booting" });
    expect(state.observe(seen("b", { knownStatus: "draining" })).outcome).toMatchObject({ status: "draining" });
    expect(state.setStatus("a", "draining")?.status).toBe("draining");
    expect(state.observe(seen("a")).outcome).toMatchObject({ status: "draining" });
  });

  it("needs a base URL the first time only, and refuses a terminated host for good", () => {
    const { state } = fleet();
    expect(state.observe(seen("a", { baseUrl: undefined }))).toEqual({
      outcome: { ok: false, reason: "base_url_required" },
      save: null,
    });
    state.observe(seen("a"));
    expect(state.observe(seen("a", { baseUrl: undefined })).outcome).toMatchObject({ ok: true });
    expect(state.observe(seen("x", { knownStatus: "terminated" }))).toEqual({
      outcome: { ok: false, reason: "terminated" },
      save: null,
    });
    state.setStatus("a", "terminated");
    expect(state.observe(seen("a", { knownStatus: "ready" })).outcome).toEqual({ ok: false, reason: "terminated" });
    expect(state.size).toBe(1);
  });
});

describe("FleetState leases", () => {
  it("counts a lease as load until it is released, and a heartbeat absorbs the ones it reports", () => {
    const { state, clock } = fleet();
    state.observe(seen("a"));
    state.observe(seen("b", { queueDepth: 1 }));
    const one = leaseOf(state.acquire());
    expect(one).toEqual({ leaseId: "lease-1", instanceId: "a", baseUrl: "http://127.0.0.1:1/a" });
    expect(leaseOf(state.acquire()).instanceId).toBe("a");
    expect(state.view(["a"])).toMatchObject([{ inflight: 2, inflightSinceReport: 2, liveLoad: 2 }]);
    clock.t += 1;
    state.observe(seen("a", { queueDepth: 2 }));
    expect(state.view(["a"])).toMatchObject([{ inflight: 2, inflightSinceReport: 0, liveLoad: 2 }]);
    state.release(one.leaseId, "ok");
    // Issued before the report, so the report counted it: only the lease count drops.
    expect(state.view(["a"])).toMatchObject([{ inflight: 1, inflightSinceReport: 0, liveLoad: 2 }]);
    state.release(one.leaseId, "ok");
    expect(state.view(["a"])).toMatchObject([{ inflight: 1 }]);
  });

  it("expires a lease never released after 15 minutes, at the next acquire", () => {
    const { state, clock } = fleet({ staleAfterMs: 3_600_000 });
    state.observe(seen("a"));
    leaseOf(state.acquire());
    clock.t += LEASE_MAX_AGE_MS;
    leaseOf(state.acquire());
    expect(state.view(["a"])).toMatchObject([{ inflight: 2 }]);
    clock.t += 1;
    leaseOf(state.acquire());
    expect(state.view(["a"])).toMatchObject([{ inflight: 2, consecutiveFailures: 0, ejectedUntil: 0 }]);
  });

  it("answers why nothing can be chosen", () => {
    const { state, clock } = fleet({ staleAfterMs: 10_000 });
    expect(state.acquire()).toEqual({ ok: false, reason: "no worker is registered for this model" });
    state.observe(seen("a", { hostStatus: "starting" }));
    expect(state.acquire()).toEqual({ ok: false, reason: "no worker for this model is ready" });
    state.observe(seen("a"));
    clock.t += 10_001;
    expect(state.acquire()).toEqual({ ok: false, reason: "every ready worker has missed its heartbeats" });
  });
});

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

describe("FleetState circuit breaker", () => {
  it("ejects a failed host for 5 s, doubling per consecutive failure up to the maximum", () => {
    const { state, clock } = fleet({ ejectBaseMs: 5_000, ejectMaxMs: 12_000 });
    state.observe(seen("a"));
    state.observe(seen("b", { queueDepth: 50 }));
    const cooldowns: number[] = [];
    for (let i = 0; i < 4; i++) {
      const lease = leaseOf(state.acquire());
      expect(lease.instanceId).toBe("a");
      state.release(lease.leaseId, "host_failed");
      const [a] = state.view(["a"]);
      cooldowns.push((a?.ejectedUntil ?? 0) - clock.t);
      expect(a?.consecutiveFailures).toBe(i + 1);
      clock.t = a?.ejectedUntil ?? 0;
      state.observe(seen("a"));
      state.observe(seen("b", { queueDepth: 50 }));
    }
    expect(cooldowns).toEqual([5_000, 10_000, 12_000, 12_000]);
  });

  it("does not lengthen the cooldown for failures of requests in flight when it broke", () => {
    const { state } = fleet();
    state.observe(seen("a"));
    const leases = [leaseOf(state.acquire()), leaseOf(state.acquire()), leaseOf(state.acquire())];
    for (const l of leases) state.release(l.leaseId, "host_failed");
    expect(state.view(["a"])).toMatchObject([{ consecutiveFailures: 1, ejectedUntil: START + 5_000 }]);
  });

  it("routes around an ejected host, then half-open sends it one request at a time until one succeeds", () => {
    const { state, clock } = fleet();
    state.observe(seen("a"));
    state.observe(seen("b", { queueDepth: 5 }));
    state.release(leaseOf(state.acquire()).leaseId, "host_failed");
    expect(leaseOf(state.acquire()).instanceId).toBe("b");
    expect(state.view(["a"])).toMatchObject([{ routable: false, unroutable: "worker_ejected" }]);
    clock.t = START + 4_999;
    expect(state.view(["a"])).toMatchObject([{ routable: false }]);
    clock.t += 1;
    const probe = leaseOf(state.acquire());
    expect(probe.instanceId).toBe("a");
    expect(leaseOf(state.acquire()).instanceId).toBe("b");
    expect(state.view(["a"])).toMatchObject([{ routable: false, unroutable: "worker_ejected", inflight: 1 }]);
    state.release(probe.leaseId, "ok");
    expect(state.view(["a"])).toMatchObject([{ routable: true, unroutable: null, consecutiveFailures: 0 }]);
    expect(leaseOf(state.acquire()).instanceId).toBe("a");
  });

  it("panics when every ready host is cooling down: the least loaded is still chosen", () => {
    const { state } = fleet();
    state.observe(seen("a", { queueDepth: 2 }));
    state.observe(seen("b", { queueDepth: 1 }));
    state.release(leaseOf(state.acquire()).leaseId, "host_failed");
    state.release(leaseOf(state.acquire()).leaseId, "host_failed");
    expect(leaseOf(state.acquire()).instanceId).toBe("b");
  });
});

describe("FleetState control-plane sync", () => {
  it("adopts Postgres statuses, but not over an admin change made after the read", () => {
    const { state, clock } = fleet();
    for (const id of ["a", "b"]) state.observe(seen(id, { knownStatus: "ready" }));
    const readAt = clock.t;
    clock.t += 1;
    state.setStatus("b", "ready");
    const changes = state.sync([row("a", "draining"), row("b", "failed")], readAt);
    expect(changes).toEqual({
      save: [expect.objectContaining({ instanceId: "a", status: "draining" })],
      admitted: [],
      forget: [],
      promote: [],
      retire: [],
    });
    expect(state.snapshot().map((m) => [m.instanceId, m.status])).toEqual([
      ["a", "draining"],
      ["b", "ready"],
    ]);
  });

  it("forgets a member whose row is gone, unless it first reported after the read", () => {
    const { state, clock } = fleet();
    state.observe(seen("old", { knownStatus: "ready" }));
    const readAt = clock.t + 1;
    clock.t += 2;
    state.observe(seen("new", { knownStatus: "ready" }));
    expect(state.sync([], readAt)).toEqual({ save: [], admitted: [], forget: ["old"], promote: [], retire: [] });
    expect(state.snapshot().map((m) => m.instanceId)).toEqual(["new"]);
  });

  it("admits a host Postgres has and it does not know (a new replica), unless it serves nothing", () => {
    const { state, clock } = fleet();
    const rows = [
      row("registered", "booting", 16),
      row("unprovisioned", "booting"),
      row("gone", "terminated"),
      row("broken", "failed"),
    ];
    rows[1] = { ...rows[1]!, baseUrl: "" };
    const changes = state.sync(rows, clock.t);
    expect(changes.admitted.map((m) => [m.instanceId, m.status, m.baseUrl, m.capacity?.declaredSlots])).toEqual([
      ["registered", "booting", "http://127.0.0.1:1/registered", 16],
    ]);
    expect(state.probeTargets().map((t) => t.instanceId)).toEqual(["registered"]);
    expect(state.sync(rows, clock.t).admitted).toEqual([]);
  });

  it("writes back a promotion Postgres has not seen", () => {
    const { state, clock } = fleet();
    state.observe(seen("a"));
    expect(state.sync([row("a", "booting")], clock.t)).toEqual({
      save: [],
      admitted: [],
      forget: [],
      promote: ["a"],
      retire: [],
    });
  });

  it("retires a terminating member only once it runs nothing, and refuses its heartbeats afterwards", () => {
    const { state, clock } = fleet();
    state.observe(seen("a", { knownStatus: "terminating", queueDepth: 1 }));
    state.setStatus("a", "ready");
    const lease = leaseOf(state.acquire());
    state.setStatus("a", "terminating");
    const rows = [row("a", "terminating")];
    expect(state.sync(rows, clock.t + 1).retire).toEqual([]);
    state.release(lease.leaseId, "ok");
    expect(state.sync(rows, clock.t + 1).retire).toEqual([]);
    state.observe(seen("a", { queueDepth: 0 }));
    expect(state.sync(rows, clock.t + 1).retire).toEqual(["a"]);
    expect(state.retired(["a", "unknown"])).toEqual([
      expect.objectContaining({ instanceId: "a", status: "terminated" }),
    ]);
    expect(state.observe(seen("a")).outcome).toEqual({ ok: false, reason: "terminated" });
  });

  it("restores a member saved before hostStatus had its name", () => {
    const { state } = fleet();
    state.observe(seen("a"));
    const { hostStatus, ...legacy } = state.snapshot()[0]!;
    const restored = fleet().state;
    restored.restore([{ ...legacy, workerStatus: hostStatus }]);
    expect(restored.view()).toMatchObject([{ instanceId: "a", hostStatus: "ready", routable: true }]);
    expect(restored.view()[0]).not.toHaveProperty("workerStatus");
  });

  it("restores saved members with nothing in flight", () => {
    const { state } = fleet();
    state.observe(seen("a"));
    leaseOf(state.acquire());
    const restored = fleet().state;
    restored.restore(state.snapshot());
    expect(restored.snapshot()).toMatchObject([
      { instanceId: "a", status: "ready", inflight: 0, inflightSinceReport: 0 },
    ]);
  });
});
