// Lease releases riding on later calls, in workerd against the real FleetObject: the next acquire carries
// what is owed (one call for both), a quiet isolate flushes after the window, a failed carrying call owes
// them again, and a release delivered twice counts once.
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { AcquireResult } from "../../worker/contracts";
import { carryReleases, releaseLater } from "../../worker/fleet/owed-releases";
import { fleetFor } from "../../worker/stubs";

const scopeOf = (name: string) => ({ organizationId: "org-owed-releases", modelUuid: name });
const leaseOf = (r: AcquireResult) => {
  if (!r.ok) throw new Error(r.reason);
  return r.lease;
};
async function fleetWithHost(name: string) {
  const fleet = fleetFor(env, scopeOf(name));
  await fleet.heartbeat({
    instanceId: "a",
    baseUrl: "http://127.0.0.1:1/a",
    hostStatus: "ready",
    queueDepth: 0,
    knownStatus: "ready",
  });
  return fleet;
}
const inflight = async (fleet: Awaited<ReturnType<typeof fleetWithHost>>) =>
  (await fleet.snapshot()).map((m) => m.inflight);

describe("owed lease releases", () => {
  it("are carried by the next acquire on their fleet; only the request that opened the debt waits, its window", async () => {
    const scope = scopeOf("carried");
    const fleet = await fleetWithHost("carried");
    const first = leaseOf(await fleet.acquire());
    const second = leaseOf(await fleet.acquire());
    let settled = 0;
    const opener = releaseLater(env, scope, 0, { leaseId: first.leaseId, outcome: "ok" }).then(() => settled++);
    // The other request has nothing of its own to send: workerd could not keep it waiting on another's I/O.
    await releaseLater(env, scope, 0, { leaseId: second.leaseId, outcome: "ok" }).then(() => settled++);
    expect(settled).toBe(1);
    const carried = carryReleases(scope, 0);
    expect(carried?.items.map((r) => r.leaseId)).toEqual([first.leaseId, second.leaseId]);
    // Nothing else is owed: the flush, when its window ends, finds nothing to send.
    expect(carryReleases(scope, 0)).toBeUndefined();
    expect(await inflight(fleet)).toEqual([2]);
    leaseOf(await fleet.acquire({ releases: carried?.items }));
    await carried?.settle(true);
    expect(await inflight(fleet)).toEqual([1]);
    await opener;
    expect(settled).toBe(2);
  });

  it("go in one call after the window when no acquire comes", async () => {
    const scope = scopeOf("flushed");
    const fleet = await fleetWithHost("flushed");
    const lease = leaseOf(await fleet.acquire());
    await releaseLater(env, scope, 0, { leaseId: lease.leaseId, outcome: "ok" });
    expect(await inflight(fleet)).toEqual([0]);
  });

  it("are owed again when the carrying call failed, and count once however often they arrive", async () => {
    const scope = scopeOf("retried");
    const fleet = await fleetWithHost("retried");
    const lease = leaseOf(await fleet.acquire());
    const done = releaseLater(env, scope, 0, { leaseId: lease.leaseId, outcome: "host_failed" });
    const carried = carryReleases(scope, 0);
    // The call may have reached the object before it failed: applied here, then sent again by the flush.
    await fleet.releaseBatch(carried?.items ?? []);
    // The carrier holds the resend: owed again, flushed after the window.
    await carried?.settle(false);
    await done;
    const [member] = await fleet.snapshot();
    expect(member).toMatchObject({ inflight: 0, consecutiveFailures: 1 });
  });
});
