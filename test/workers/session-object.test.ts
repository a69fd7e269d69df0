// The Session Durable Object: pins through the model's FleetObject, survives eviction, moves
// on failover and when its worker drains, expires when idle, and is separate per organization.
import { env, evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { SessionAcquire, SessionState } from "../../worker/contracts";
import { fleetFor as fleetStub, sessionFor as sessionStub } from "../../worker/stubs";

const fleetFor = (model: string, org = "org-1") => fleetStub(env, { organizationId: org, modelUuid: model });
const sessionFor = (org: string, key: string) => sessionStub(env, org, key);
const report = (instanceId: string, queueDepth = 0) => ({
  instanceId,
  baseUrl: `http://127.0.0.1:1/${instanceId}`,
  hostStatus: "ready",
  queueDepth,
  knownStatus: "ready" as const,
});

async function fleetWith(model: string, ids: string[], org = "org-1") {
  const fleet = fleetFor(model, org);
  for (const id of ids) await fleet.heartbeat(report(id));
  return fleet;
}

const ask = (model: string, org = "org-1", key = "s-1", over: Partial<SessionAcquire> = {}): SessionAcquire => ({
  organizationId: org,
  sessionKey: key,
  modelUuid: model,
  exclude: [],
  newRequest: true,
  ...over,
});

/** Routes one request through the session and closes its lease; returns the worker. */
async function once(model: string, org = "org-1", key = "s-1", over: Partial<SessionAcquire> = {}): Promise<string> {
  const result = await sessionFor(org, key).acquire(ask(model, org, key, over));
  if (!result.ok) throw new Error(result.reason);
  await fleetFor(model, org).release(result.lease.leaseId, "ok");
  return result.lease.instanceId;
}

describe("SessionObject", () => {
  it("sends every request of a session to its pinned worker and counts them", async () => {
    await fleetWith("m-sticky", ["a", "b", "c", "d"]);
    const first = await once("m-sticky");
    for (let i = 0; i < 9; i++) expect(await once("m-sticky")).toBe(first);
    const state = await sessionFor("org-1", "s-1").describe();
    expect(state).toMatchObject({
      instanceId: first,
      requests: 10,
      repins: [{ from: null, to: first, reason: "first_request" }],
    });
  });

  it("keeps its pin across eviction of both the session and the fleet object", async () => {
    await fleetWith("m-evict", ["a", "b", "c", "d"]);
    const pinned = await once("m-evict", "org-1", "evict-me");
    await evictDurableObject(sessionFor("org-1", "evict-me"));
    await evictDurableObject(fleetFor("m-evict"));
    for (let i = 0; i < 5; i++) expect(await once("m-evict", "org-1", "evict-me")).toBe(pinned);
    expect(await sessionFor("org-1", "evict-me").describe()).toMatchObject({
      requests: 6,
      repins: [{ reason: "first_request" }],
    });
  });

  it("re-pins to the worker that served a failover attempt, without counting a second request", async () => {
    await fleetWith("m-failover", ["a", "b"]);
    const pinned = await once("m-failover", "org-1", "fo");
    const served = await once("m-failover", "org-1", "fo", { exclude: [pinned], newRequest: false });
    expect(served).not.toBe(pinned);
    expect(await sessionFor("org-1", "fo").describe()).toMatchObject({
      instanceId: served,
      requests: 1,
      repins: [{ reason: "first_request" }, { from: pinned, to: served, reason: "failover" }],
    });
  });

  it("moves a session off a draining worker on its next request", async () => {
    const fleet = await fleetWith("m-drain", ["a", "b"]);
    const pinned = await once("m-drain", "org-1", "dr");
    await fleet.setStatus(pinned, "draining");
    const next = await once("m-drain", "org-1", "dr");
    expect(next).not.toBe(pinned);
    expect((await sessionFor("org-1", "dr").describe())?.repins.at(-1)).toMatchObject({
      from: pinned,
      to: next,
      reason: "worker_draining",
    });
  });

  it("keeps tenants apart: the same session key in two organizations is two sessions", async () => {
    await fleetWith("m-tenants", ["a", "b"], "org-x");
    await fleetWith("m-tenants", ["a", "b"], "org-y");
    await once("m-tenants", "org-x", "shared");
    await once("m-tenants", "org-y", "shared");
    await once("m-tenants", "org-y", "shared");
    expect(await sessionFor("org-x", "shared").describe()).toMatchObject({ organizationId: "org-x", requests: 1 });
    expect(await sessionFor("org-y", "shared").describe()).toMatchObject({ organizationId: "org-y", requests: 2 });
  });

  it("forgets an idle session when its alarm fires, and not before", async () => {
    await fleetWith("m-idle", ["a"]);
    await once("m-idle", "org-1", "idle");
    const stub = sessionFor("org-1", "idle");
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await stub.describe()).not.toBeNull();
    await runInDurableObject(stub, async (_instance, state) => {
      const saved = await state.storage.get<SessionState>("session");
      await state.storage.put("session", { ...saved, lastUsedAt: Date.now() - 1801 * 1000 });
    });
    await evictDurableObject(stub);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await stub.describe()).toBeNull();
  });
});
