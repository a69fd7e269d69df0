// FleetState's rules on a hand-driven clock: heartbeat admission, leases and their expiry, and the
// circuit breaker (cooldown doubling, half-open). Plain code, no workerd. Routing in tokens:
// fleet-state-tokens.test.ts; the control-plane sync: fleet-state-sync.test.ts.
import { describe, expect, it } from "vitest";
import { PERSIST_EVERY_MS } from "../../worker/fleet/fleet-state";
import { LEASE_MAX_AGE_MS } from "../../worker/fleet/leases";
import { fleet, leaseOf, START, seen } from "./support/fleet-state";

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
