// Where a request's host comes from: the model's FleetObject directly (one Durable Object call, or none when
// a spare lease this isolate holds serves it: fleet/spare-leases.ts), or, with X-Inventiv-Session, the
// session's SessionObject, which asks the fleet with its pin and records the answer (two calls in a row, no
// Postgres).

import type { Caller } from "../app-env";
import type { AcquireResult, FleetScope, LeaseRelease } from "../contracts";
import type { Env } from "../env";
import { withReleases } from "../fleet/owed-releases";
import { nextReplica, replicaCount, sessionReplica } from "../fleet/replicas";
import { keepSpares, sparesWanted, takeSpare } from "../fleet/spare-leases";
import type { Hold } from "../owed-calls";
import type { RequestCost } from "../routing/token-load";
import { fleetFor, sessionFor } from "../stubs";

/** Leases a host for attempt `attempt` (1-based), avoiding those in `tried`. */
export type LeaseSource = (tried: string[], attempt: number) => Promise<AcquireResult>;

export interface LeaseWanted {
  modelUuid: string;
  caller: Caller;
  sessionKey: string | null;
  /** Only this host may serve it (it holds the request's state). */
  only?: string;
  cost: RequestCost;
}

/**
 * The lease source for a request. A Durable Object call can throw (the object was reset by a
 * deploy, or is overloaded): the call is tried once more on a fresh stub (a stub that saw an
 * exception may stay broken), and a second failure reads as "no host", a 503 with Retry-After.
 */
export function leaseSource(env: Env, hold: Hold, wanted: LeaseWanted): LeaseSource {
  let source = directSource(env, hold, wanted);
  return async (tried, attempt) => {
    for (let call = 1; ; call++) {
      try {
        return await source(tried, attempt);
      } catch (err) {
        console.error(
          JSON.stringify({ msg: "lease_source_failed", call, session: wanted.sessionKey !== null, error: String(err) }),
        );
        if (call >= 2) return { ok: false, reason: "routing state is unavailable for a moment" };
        source = directSource(env, hold, wanted);
      }
    }
  };
}

type Call = (releases: LeaseRelease[] | undefined) => Promise<AcquireResult>;

/** Each call carries what this isolate owes that replica; its leases say which replica they came from. */
async function carrying(hold: Hold, scope: FleetScope, replica: number, call: Call): Promise<AcquireResult> {
  const result = await withReleases(scope, replica, call, hold);
  if (result.ok) for (const lease of [result.lease, ...(result.spares ?? [])]) lease.replica = replica;
  return result;
}

function directSource(env: Env, hold: Hold, wanted: LeaseWanted): LeaseSource {
  const { caller, modelUuid, sessionKey, only, cost } = wanted;
  const scope = { organizationId: caller.organizationId, modelUuid };
  const replicas = replicaCount(env);
  // The host holding the request's state is the only choice; a session cannot move it.
  if (only !== undefined)
    return () => {
      const r = nextReplica(replicas);
      return carrying(hold, scope, r, (releases) => fleetFor(env, scope, r).acquire({ only, cost, releases }));
    };
  if (sessionKey === null) return plainSource(env, hold, scope, cost);
  const session = sessionFor(env, caller.organizationId, sessionKey);
  return (tried, attempt) =>
    carrying(hold, scope, sessionReplica(sessionKey, replicas), (releases) =>
      session.acquire({
        organizationId: caller.organizationId,
        sessionKey,
        modelUuid,
        exclude: tried,
        newRequest: attempt === 1,
        cost,
        releases,
      }),
    );
}

/** A request without a session or holder: a spare lease when one is held, else the next replica in turn. */
function plainSource(env: Env, hold: Hold, scope: FleetScope, cost: RequestCost): LeaseSource {
  const replicas = replicaCount(env);
  return async (tried, attempt) => {
    // A failover asks the fleet, which knows what failed since the spares were chosen.
    const first = attempt === 1;
    const spare = first ? takeSpare(env, scope, cost) : undefined;
    if (spare) return { ok: true, lease: spare, repin: null };
    const r = nextReplica(replicas);
    const spares = first ? sparesWanted(env, scope) : 0;
    let result: AcquireResult | undefined;
    try {
      result = await carrying(hold, scope, r, (releases) =>
        fleetFor(env, scope, r).acquire({ exclude: tried, cost, releases, spares }),
      );
      return result;
    } finally {
      const brought = result?.ok ? (result.spares ?? []) : [];
      if (spares > 0 || brought.length > 0) hold(keepSpares(env, scope, spares, brought, cost));
    }
  };
}
