// Spare leases, in workerd against the real FleetObject: an acquire that asks for spares gets leases chosen
// as the next requests would be (spread over the least-loaded hosts, never on one only panic would choose),
// the isolate asks for as many as its recent requests say it needs, its next requests take them without a
// call, and a spare nobody takes, or one on a host that failed or changed status, goes back unused.
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { AcquireResult, Lease } from "../../worker/contracts";
import { dropSpares, keepSpares, sparesWanted, takeSpare } from "../../worker/fleet/spare-leases";
import { fleetFor } from "../../worker/stubs";

const scopeOf = (name: string) => ({ organizationId: "org-spare-leases", modelUuid: name });
const cost = { promptTokens: 20, outputTokens: 100 };

async function fleetWith(name: string, hosts: string[]) {
  const fleet = fleetFor(env, scopeOf(name));
  for (const instanceId of hosts)
    await fleet.heartbeat({
      instanceId,
      baseUrl: `http://127.0.0.1:1/${instanceId}`,
      hostStatus: "ready",
      queueDepth: 0,
      knownStatus: "ready",
    });
  return fleet;
}
type Fleet = Awaited<ReturnType<typeof fleetWith>>;

const okOf = (r: AcquireResult) => {
  if (!r.ok) throw new Error(r.reason);
  return r;
};
const inflightOf = async (fleet: Fleet) =>
  Object.fromEntries((await fleet.snapshot()).map((m) => [m.instanceId, m.inflight]));

describe("spare leases from the fleet", () => {
  it("are chosen as the next requests would be, each counted in flight", async () => {
    const fleet = await fleetWith("spread", ["a", "b", "c"]);
    const got = okOf(await fleet.acquire({ cost, spares: 2 }));
    const hosts = [got.lease, ...(got.spares ?? [])].map((l) => l.instanceId).sort();
    expect(hosts).toEqual(["a", "b", "c"]);
    expect(await inflightOf(fleet)).toEqual({ a: 1, b: 1, c: 1 });
    // Every spare has its own lease, returned like any other.
    for (const spare of got.spares ?? []) await fleet.release(spare.leaseId, "unused");
    expect(await inflightOf(fleet)).toEqual({ a: 0, b: 0, c: 0, [got.lease.instanceId]: 1 });
  });

  it("are never issued on a host only panic would choose, nor for a session", async () => {
    const fleet = await fleetWith("panic", ["a"]);
    const first = okOf(await fleet.acquire({ cost }));
    await fleet.release(first.lease.leaseId, "host_failed");
    // The only host is cooling down: panic still serves the request, but gives it no spares.
    const panicked = okOf(await fleet.acquire({ cost, spares: 3 }));
    expect(panicked.lease.instanceId).toBe("a");
    expect(panicked.spares).toBeUndefined();
    const other = await fleetWith("session-spares", ["a", "b"]);
    const session = okOf(await other.acquire({ cost, spares: 3, session: { pinnedId: null } }));
    expect(session.spares).toBeUndefined();
  });

  it("returned unused do not touch the breaker", async () => {
    const fleet = await fleetWith("unused", ["a"]);
    const got = okOf(await fleet.acquire({ cost, spares: 1 }));
    await fleet.release(got.lease.leaseId, "host_failed");
    const [spare] = got.spares ?? [];
    await fleet.release(spare?.leaseId ?? "", "unused");
    const [member] = await fleet.snapshot();
    expect(member).toMatchObject({ inflight: 0, consecutiveFailures: 1 });
  });
});

describe("an isolate's spare leases", () => {
  it("are asked for as recent requests need them, and serve the next ones without a call", async () => {
    const scope = scopeOf("pool");
    const fleet = await fleetWith("pool", ["a", "b"]);
    // A lone request asks for none.
    expect(takeSpare(env, scope, cost)).toBeUndefined();
    expect(sparesWanted(env, scope)).toBe(0);
    // The next one asks for one, for the request after it; one asked for is not asked for again.
    expect(takeSpare(env, scope, cost)).toBeUndefined();
    expect(sparesWanted(env, scope)).toBe(1);
    expect(sparesWanted(env, scope)).toBe(0);
    const got = okOf(await fleet.acquire({ cost, spares: 1 }));
    const [spare] = got.spares ?? [];
    const kept = keepSpares(env, scope, 1, got.spares ?? [], cost);
    expect(takeSpare(env, scope, cost)).toEqual(spare);
    expect(takeSpare(env, scope, cost)).toBeUndefined();
    await kept;
    // Taken, it is the request's own lease: still open until that request ends.
    expect(Object.values(await inflightOf(fleet)).reduce((a, b) => a + b)).toBe(2);
  });

  it("in a burst are asked for by one acquire at a time", async () => {
    const scope = scopeOf("burst");
    const asks = Array.from({ length: 10 }, () => {
      takeSpare(env, scope, cost);
      return sparesWanted(env, scope);
    });
    expect(asks).toEqual([0, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
    await keepSpares(env, scope, 1, [], cost);
    takeSpare(env, scope, cost);
    // As many as the other requests that began within the TTL (ten), under the cap (FLEET_SPARE_LEASES, 16).
    expect(sparesWanted(env, scope)).toBe(10);
  });

  it("go back unused when no request takes them in time, or the request is far dearer", async () => {
    const scope = scopeOf("lapse");
    const fleet = await fleetWith("lapse", ["a", "b"]);
    const got = okOf(await fleet.acquire({ cost, spares: 1 }));
    await fleet.release(got.lease.leaseId, "ok");
    const kept = keepSpares(env, scope, 1, got.spares ?? [], cost);
    expect(takeSpare(env, scope, { promptTokens: 20, outputTokens: 4_000 })).toBeUndefined();
    expect(Object.values(await inflightOf(fleet))).toContain(1);
    await kept;
    expect(await inflightOf(fleet)).toEqual({ a: 0, b: 0 });
    expect(takeSpare(env, scope, cost)).toBeUndefined();
  });

  it("on a host that failed go back at once", async () => {
    const scope = scopeOf("dropped");
    const fleet = await fleetWith("dropped", ["a", "b"]);
    const got = okOf(await fleet.acquire({ cost, spares: 3 }));
    const spares: Lease[] = got.spares ?? [];
    expect(spares).toHaveLength(3);
    void keepSpares(env, scope, 3, spares, cost);
    await dropSpares(env, scope, "a");
    // Only b's remain, and the fleet has a's back.
    const left = [takeSpare(env, scope, cost), takeSpare(env, scope, cost)].filter((l) => l !== undefined);
    expect(left.every((l) => l.instanceId === "b")).toBe(true);
    const inflight = await inflightOf(fleet);
    expect(inflight.a).toBe(got.lease.instanceId === "a" ? 1 : 0);
  });
});
