import { describe, expect, it } from "vitest";
import {
  defaultPolicy,
  ejectAfterFailure,
  explainNoHost,
  isIdle,
  isRoutable,
  selectLeastLoaded,
} from "../../worker/routing/fleet-policy";
import { member, NOW } from "./support/fleet-member";

describe("selectLeastLoaded", () => {
  it("selects a ready worker serving the model", () => {
    expect(selectLeastLoaded([member("a")], NOW, defaultPolicy)?.instanceId).toBe("a");
  });
  it("prefers the worker with the smallest live queue", () => {
    const fleet = [
      member("a", { reportedQueueDepth: 5 }),
      member("b", { reportedQueueDepth: 1 }),
      member("c", { reportedQueueDepth: 3 }),
    ];
    for (let i = 0; i < 20; i++) expect(selectLeastLoaded(fleet, NOW, defaultPolicy)?.instanceId).toBe("b");
  });
  it("counts requests sent since the last report", () => {
    const fleet = [
      member("a", { reportedQueueDepth: 1 }),
      member("b", { reportedQueueDepth: 0, inflightSinceReport: 3 }),
    ];
    expect(selectLeastLoaded(fleet, NOW, defaultPolicy)?.instanceId).toBe("a");
  });
  it("excludes stale, non-ready, draining, ejected and excluded workers", () => {
    const stale = member("stale", { lastHeartbeatAt: NOW - defaultPolicy.staleAfterMs - 1 });
    const booting = member("booting", { status: "booting" });
    const draining = member("draining", { hostStatus: "draining" });
    const terminating = member("terminating", { status: "terminating" });
    const ejected = member("ejected", { ejectedUntil: NOW + 1 });
    const fleet = [
      stale,
      booting,
      draining,
      terminating,
      ejected,
      member("ok", { reportedQueueDepth: 50 }),
      member("tried"),
    ];
    for (let i = 0; i < 20; i++)
      expect(selectLeastLoaded(fleet, NOW, defaultPolicy, new Set(["tried"]))?.instanceId).toBe("ok");
    for (const m of [stale, booting, draining, terminating, ejected])
      expect(isRoutable(m, NOW, defaultPolicy)).toBe(false);
  });
  it("returns undefined when no worker is routable, and says why", () => {
    expect(selectLeastLoaded([], NOW, defaultPolicy)).toBeUndefined();
    expect(explainNoHost([], NOW, defaultPolicy)).toMatch(/no worker is registered/);
    expect(explainNoHost([member("a", { status: "booting" })], NOW, defaultPolicy)).toMatch(/ready/);
    expect(explainNoHost([member("a", { lastHeartbeatAt: 0 })], NOW, defaultPolicy)).toMatch(/heartbeat/);
  });
  it("in a fleet that is all cooling down, routes anyway to the least loaded of its workers (panic)", () => {
    const busy = member("busy", { ejectedUntil: NOW + 1_000, reportedQueueDepth: 9 });
    const idle = member("idle", { ejectedUntil: NOW + 9_000 });
    const fleet = [
      busy,
      idle,
      member("stale", { ejectedUntil: NOW + 1, lastHeartbeatAt: 0 }),
      member("draining", { ejectedUntil: NOW + 1, hostStatus: "draining" }),
    ];
    expect(selectLeastLoaded(fleet, NOW, defaultPolicy)?.instanceId).toBe("idle");
    // A worker this request already tried is not tried again; stale or draining ones never are.
    expect(selectLeastLoaded(fleet, NOW, defaultPolicy, new Set(["idle"]))?.instanceId).toBe("busy");
    expect(selectLeastLoaded(fleet, NOW, defaultPolicy, new Set(["idle", "busy"]))).toBeUndefined();
    // Not herded onto one: equally loaded ejected workers share the traffic.
    const even = [member("a", { ejectedUntil: NOW + 1_000 }), member("b", { ejectedUntil: NOW + 9_000 })];
    const seen = new Set<string>();
    for (let i = 0; i < 50; i++) seen.add(selectLeastLoaded(even, NOW, defaultPolicy)?.instanceId ?? "");
    expect(seen).toEqual(new Set(["a", "b"]));
  });
  it("breaks ties at random", () => {
    const fleet = [member("a"), member("b"), member("c")];
    const seen = new Set<string>();
    for (let i = 0; i < 100; i++) seen.add(selectLeastLoaded(fleet, NOW, defaultPolicy)?.instanceId ?? "");
    expect(seen).toEqual(new Set(["a", "b", "c"]));
    expect(selectLeastLoaded(fleet, NOW, defaultPolicy, new Set(), () => 0.99)?.instanceId).toBe("c");
  });
});

describe("half-open breaker", () => {
  it("lets a worker that failed take one request at a time after its cooldown, until one succeeds", () => {
    const recovering = member("r", { consecutiveFailures: 2, ejectedUntil: NOW - 1 });
    expect(isRoutable(recovering, NOW, defaultPolicy)).toBe(true); // the probe
    expect(isRoutable({ ...recovering, inflight: 1 }, NOW, defaultPolicy)).toBe(false); // while it runs
    expect(isRoutable({ ...recovering, inflight: 3, consecutiveFailures: 0 }, NOW, defaultPolicy)).toBe(true); // closed
    // With a healthy worker beside it, a burst goes to the healthy one while the probe runs.
    const fleet = [{ ...recovering, inflight: 1 }, member("ok", { reportedQueueDepth: 5 })];
    for (let i = 0; i < 20; i++) expect(selectLeastLoaded(fleet, NOW, defaultPolicy)?.instanceId).toBe("ok");
  });
});

describe("isIdle", () => {
  it("needs both no open lease and an empty reported queue, unless the host has gone silent", () => {
    expect(isIdle(member("a"), NOW, defaultPolicy)).toBe(true);
    expect(isIdle(member("a", { inflight: 1 }), NOW, defaultPolicy)).toBe(false);
    // Leases lost to a restart: the host's own queue still says it is busy.
    expect(isIdle(member("a", { reportedQueueDepth: 2 }), NOW, defaultPolicy)).toBe(false);
    expect(
      isIdle(
        member("a", { reportedQueueDepth: 2, lastHeartbeatAt: NOW - defaultPolicy.staleAfterMs - 1 }),
        NOW,
        defaultPolicy,
      ),
    ).toBe(true);
  });
});

describe("ejectAfterFailure", () => {
  it("cools a failing worker down exponentially, up to a ceiling", () => {
    const m = member("a");
    const cooldowns: number[] = [];
    // Each failure is a half-open probe failing, right after the previous cooldown ended.
    let now = NOW;
    for (let i = 0; i < 6; i++) {
      ejectAfterFailure(m, now, defaultPolicy);
      cooldowns.push(m.ejectedUntil - now);
      now = m.ejectedUntil;
    }
    expect(cooldowns).toEqual([5_000, 10_000, 20_000, 40_000, 60_000, 60_000]);
  });

  it("counts the failures of requests already in flight when the worker broke as one incident", () => {
    const m = member("a");
    for (let i = 0; i < 10; i++) ejectAfterFailure(m, NOW + i, defaultPolicy);
    expect(m).toMatchObject({ consecutiveFailures: 1, ejectedUntil: NOW + 5_000 });
  });
});
