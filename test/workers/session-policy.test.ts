// Session affinity and control-plane reconciliation: pure functions, no Durable Object involved.
import { describe, expect, it } from "vitest";
import { reconcile } from "../../worker/routing/control-plane-sync";
import { defaultPolicy, ejectAfterFailure, type FleetMember, isRoutable } from "../../worker/routing/fleet-policy";
import { defaultSessionPolicy, routeSession, type SessionRouteInput } from "../../worker/routing/session-policy";
import { member, NOW } from "./support/fleet-member";

function route(
  fleet: FleetMember[],
  pinnedId: string | null,
  exclude: string[] = [],
  margin = defaultSessionPolicy.repinMargin,
) {
  const input: SessionRouteInput = {
    members: fleet,
    find: (id) => fleet.find((m) => m.instanceId === id),
    pinnedId,
    exclude: new Set(exclude),
    now: NOW,
  };
  const out = routeSession(input, defaultPolicy, { repinMargin: margin });
  return { chosen: out.chosen?.instanceId, repin: out.repin };
}

describe("routeSession", () => {
  it("pins the least-loaded worker on a session's first request", () => {
    const fleet = [member("a", { reportedQueueDepth: 3 }), member("b")];
    expect(route(fleet, null)).toEqual({ chosen: "b", repin: "first_request" });
  });

  it("keeps the pin while the pinned worker is routable and within the margin", () => {
    const fleet = [member("a", { reportedQueueDepth: 4 }), member("b")];
    for (let i = 0; i < 20; i++) expect(route(fleet, "a")).toEqual({ chosen: "a", repin: null });
  });

  it("moves when the pinned worker's live load exceeds the least-loaded one's by more than the margin", () => {
    const fleet = [member("a", { reportedQueueDepth: 3, inflightSinceReport: 2 }), member("b")];
    expect(route(fleet, "a")).toEqual({ chosen: "b", repin: "overloaded" });
    expect(route(fleet, "a", [], 5)).toEqual({ chosen: "a", repin: null });
  });

  it("moves off a draining, terminating, stale, ejected, non-ready or unknown worker and says why", () => {
    const cases: [Partial<FleetMember>, string][] = [
      [{ status: "draining" }, "worker_draining"],
      [{ hostStatus: "draining" }, "worker_draining"],
      [{ status: "terminating" }, "worker_retired"],
      [{ status: "failed" }, "worker_retired"],
      [{ status: "booting" }, "worker_not_ready"],
      [{ hostStatus: "starting" }, "worker_not_ready"],
      [{ lastHeartbeatAt: NOW - defaultPolicy.staleAfterMs - 1 }, "worker_stale"],
      [{ ejectedUntil: NOW + 1 }, "worker_ejected"],
    ];
    for (const [over, reason] of cases)
      expect(route([member("a", over), member("b", { reportedQueueDepth: 9 })], "a")).toEqual({
        chosen: "b",
        repin: reason,
      });
    expect(route([member("b")], "gone")).toEqual({ chosen: "b", repin: "worker_gone" });
  });

  it("re-pins on failover to a worker that has not failed this request", () => {
    const fleet = [member("a"), member("b", { reportedQueueDepth: 2 }), member("c", { reportedQueueDepth: 1 })];
    expect(route(fleet, "a", ["a"])).toEqual({ chosen: "c", repin: "failover" });
    expect(route(fleet, "a", ["a", "c"])).toEqual({ chosen: "b", repin: "failover" });
  });

  it("reports no worker, with the reason for moving, when nothing is routable", () => {
    expect(route([member("a", { status: "terminating" })], "a")).toEqual({
      chosen: undefined,
      repin: "worker_retired",
    });
  });
});

describe("circuit breaker", () => {
  it("makes an ejected worker eligible again once its cooldown has passed (half-open)", () => {
    const m = member("a");
    ejectAfterFailure(m, NOW, defaultPolicy);
    expect(isRoutable(m, NOW + defaultPolicy.ejectBaseMs - 1, defaultPolicy)).toBe(false);
    expect(isRoutable(m, NOW + defaultPolicy.ejectBaseMs, defaultPolicy)).toBe(true);
  });
});

describe("reconcile with Postgres", () => {
  const idle = (m: FleetMember) => m.inflight === 0;
  it("adopts operator statuses, writes back the fleet's own promotions, forgets deleted rows", () => {
    const fleet = [
      member("a"),
      member("b"),
      member("c", { status: "booting" }),
      member("d"),
      member("e", { status: "draining" }),
    ];
    const rows = [
      { id: "a", status: "ready" as const },
      { id: "b", status: "terminating" as const },
      { id: "c", status: "booting" as const },
      { id: "e", status: "booting" as const },
    ];
    expect(reconcile(fleet, rows, idle)).toEqual({
      adopt: [
        { instanceId: "b", status: "terminating" },
        { instanceId: "e", status: "booting" },
      ],
      promote: [],
      forget: ["d"],
      retire: [],
    });
    expect(reconcile([member("p")], [{ id: "p", status: "booting" }], idle)).toEqual({
      adopt: [],
      promote: ["p"],
      forget: [],
      retire: [],
    });
  });

  it("retires a member terminating since before the read once it runs nothing", () => {
    const fleet = [
      member("quiet", { status: "terminating" }),
      member("busy", { status: "terminating", inflight: 2 }),
      member("new"),
    ];
    const rows = ["quiet", "busy", "new"].map((id) => ({ id, status: "terminating" as const }));
    // "new" is only now learning it is terminating: it stays so until the next sync.
    expect(reconcile(fleet, rows, idle)).toEqual({
      adopt: [{ instanceId: "new", status: "terminating" }],
      promote: [],
      forget: [],
      retire: ["quiet"],
    });
  });
});
