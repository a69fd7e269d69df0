// The Fleet Durable Object around FleetState: RPC in workerd, and state that survives eviction.
import { env, evictDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { fleetFor as fleetStub } from "../../worker/stubs";

const fleetFor = (name: string) => fleetStub(env, { organizationId: "org-fleet-object", modelUuid: name });
const report = (instanceId: string, over: { queueDepth?: number; hostStatus?: string } = {}) => ({
  instanceId,
  baseUrl: `http://127.0.0.1:1/${instanceId}`,
  hostStatus: over.hostStatus ?? "ready",
  queueDepth: over.queueDepth ?? 0,
  knownStatus: "booting" as const,
});

describe("FleetObject", () => {
  it("promotes a booting host that reports ready, and asks for a Postgres mirror on change", async () => {
    const fleet = fleetFor("promote");
    const first = await fleet.heartbeat(report("a"));
    expect(first).toMatchObject({ ok: true, status: "ready", persist: true });
    const second = await fleet.heartbeat(report("a"));
    expect(second).toMatchObject({ ok: true, status: "ready", persist: false });
    expect(
      await fleet.heartbeat({ instanceId: "b", hostStatus: "ready", queueDepth: 0, knownStatus: "booting" }),
    ).toEqual({ ok: false, reason: "base_url_required" });
  });

  it("spreads concurrent leases evenly using its own in-flight counts", async () => {
    const fleet = fleetFor("spread");
    for (const id of ["a", "b", "c", "d"]) await fleet.heartbeat(report(id));
    const leases = await Promise.all(Array.from({ length: 40 }, () => fleet.acquire()));
    const perWorker = new Map<string, number>();
    for (const l of leases) if (l.ok) perWorker.set(l.lease.instanceId, (perWorker.get(l.lease.instanceId) ?? 0) + 1);
    expect([...perWorker.values()]).toEqual([10, 10, 10, 10]);
    for (const l of leases) if (l.ok) await fleet.release(l.lease.leaseId, "ok");
    expect((await fleet.snapshot()).map((m) => m.inflight)).toEqual([0, 0, 0, 0]);
  });

  it("avoids a worker that reports a deep queue, and ejects one that failed", async () => {
    const fleet = fleetFor("avoid");
    await fleet.heartbeat(report("deep", { queueDepth: 30 }));
    await fleet.heartbeat(report("idle"));
    const pick = await fleet.acquire();
    expect(pick.ok && pick.lease.instanceId).toBe("idle");
    if (pick.ok) await fleet.release(pick.lease.leaseId, "host_failed");
    const next = await fleet.acquire();
    expect(next.ok && next.lease.instanceId).toBe("deep");
  });

  it("answers no worker with a reason when none is routable", async () => {
    const fleet = fleetFor("none");
    expect(await fleet.acquire()).toEqual({ ok: false, reason: "no worker is registered for this model" });
    await fleet.heartbeat(report("a", { hostStatus: "starting" }));
    expect(await fleet.acquire()).toEqual({ ok: false, reason: "no worker for this model is ready" });
  });

  it("keeps its members across eviction", async () => {
    await fleetFor("evict").heartbeat(report("a"));
    await evictDurableObject(fleetFor("evict"));
    const after = await fleetFor("evict").snapshot();
    expect(after.map((m) => [m.instanceId, m.status])).toEqual([["a", "ready"]]);
  });
});
