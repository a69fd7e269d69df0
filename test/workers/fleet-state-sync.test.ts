// FleetState's control-plane sync on a hand-driven clock: Postgres statuses against admin changes,
// members forgotten, admitted, promoted and retired, and members restored from storage. Plain code,
// no workerd.
import { describe, expect, it } from "vitest";
import { fleet, leaseOf, row, seen } from "./support/fleet-state";

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
