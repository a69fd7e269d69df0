// The session's pin rules as plain functions: what the fleet is asked to keep, how the state moves.
import { describe, expect, it } from "vitest";
import type { SessionAcquire, SessionState } from "../../worker/contracts";
import { advanceSession, idleUntil, pinnedIdFor, REPINS_KEPT } from "../../worker/sessions/session-pin";

const ask = (over: Partial<SessionAcquire> = {}): SessionAcquire => ({
  organizationId: "org",
  sessionKey: "s",
  modelUuid: "m1",
  exclude: [],
  newRequest: true,
  ...over,
});

const first = advanceSession(null, ask(), "a", "first_request", 100).next;

describe("session pin", () => {
  it("starts a session on its first request", () => {
    expect(first).toEqual({
      organizationId: "org",
      sessionKey: "s",
      modelUuid: "m1",
      instanceId: "a",
      pinnedAt: 100,
      createdAt: 100,
      lastUsedAt: 100,
      requests: 1,
      repins: [{ at: 100, from: null, to: "a", reason: "first_request" }],
    });
  });

  it("asks the fleet to keep the pin only for the same model", () => {
    expect(pinnedIdFor(null, "m1")).toBeNull();
    expect(pinnedIdFor(first, "m1")).toBe("a");
    expect(pinnedIdFor(first, "m2")).toBeNull();
  });

  it("keeps the pin when the fleet did, and counts a failover attempt once", () => {
    const kept = advanceSession(first, ask(), "a", null, 200);
    expect(kept).toEqual({ next: { ...first, lastUsedAt: 200, requests: 2 }, repin: null });
    const failover = advanceSession(kept.next, ask({ exclude: ["a"], newRequest: false }), "b", "failover", 300);
    expect(failover.repin).toBe("failover");
    expect(failover.next).toMatchObject({ instanceId: "b", pinnedAt: 300, requests: 2, lastUsedAt: 300 });
    expect(failover.next.repins.at(-1)).toEqual({ at: 300, from: "a", to: "b", reason: "failover" });
  });

  it("records a change of model as the reason, whatever the fleet said", () => {
    const moved = advanceSession(first, ask({ modelUuid: "m2" }), "c", "first_request", 200);
    expect(moved.repin).toBe("model_changed");
    expect(moved.next).toMatchObject({ modelUuid: "m2", instanceId: "c", createdAt: 100 });
  });

  it("keeps the last 20 moves and is idle 'ttl' after its last use", () => {
    let s: SessionState = first;
    for (let i = 0; i < 25; i++) s = advanceSession(s, ask(), `h${i}`, "overloaded", 200 + i).next;
    expect(s.repins).toHaveLength(REPINS_KEPT);
    expect(s.repins[0]).toEqual({ at: 205, from: "h4", to: "h5", reason: "overloaded" });
    expect(idleUntil(s, 1_000)).toBe(1_224);
  });
});
