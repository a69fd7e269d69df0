// Where a request's host comes from: the model's FleetObject directly (one Durable Object call),
// or, with X-Inventiv-Session, the session's SessionObject, which asks the fleet with its pin and
// records the answer (two calls in a row, no Postgres).

import type { Caller } from "../app-env";
import type { AcquireResult, LeaseRelease } from "../contracts";
import type { Env } from "../env";
import { withReleases } from "../fleet/owed-releases";
import { nextReplica, replicaCount, sessionReplica } from "../fleet/replicas";
import type { RequestCost } from "../routing/token-load";
import { fleetFor, sessionFor } from "../stubs";

/** Leases a host for attempt `attempt` (1-based), avoiding those in `tried`. */
export type LeaseSource = (tried: string[], attempt: number) => Promise<AcquireResult>;

/**
 * The lease source for a request. A Durable Object call can throw (the object was reset by a
 * deploy, or is overloaded): the call is tried once more on a fresh stub (a stub that saw an
 * exception may stay broken), and a second failure reads as "no host", a 503 with Retry-After.
 */
export function leaseSource(
  env: Env,
  modelUuid: string,
  caller: Caller,
  sessionKey: string | null,
  only?: string,
  cost?: RequestCost,
): LeaseSource {
  let source = directSource(env, modelUuid, caller, sessionKey, only, cost);
  return async (tried, attempt) => {
    for (let call = 1; ; call++) {
      try {
        return await source(tried, attempt);
      } catch (err) {
        console.error(
          JSON.stringify({ msg: "lease_source_failed", call, session: sessionKey !== null, error: String(err) }),
        );
        if (call >= 2) return { ok: false, reason: "routing state is unavailable for a moment" };
        source = directSource(env, modelUuid, caller, sessionKey, only, cost);
      }
    }
  };
}

function directSource(
  env: Env,
  modelUuid: string,
  caller: Caller,
  sessionKey: string | null,
  only: string | undefined,
  cost: RequestCost | undefined,
): LeaseSource {
  // The host holding the request's state is the only choice; a session cannot move it.
  const scope = { organizationId: caller.organizationId, modelUuid };
  const replicas = replicaCount(env);
  // Each call carries what this isolate owes that replica; its lease says which replica it came from.
  const carrying = async (
    replica: number,
    call: (releases: LeaseRelease[] | undefined) => Promise<AcquireResult>,
  ): Promise<AcquireResult> => {
    const result = await withReleases(scope, replica, call);
    if (result.ok) result.lease.replica = replica;
    return result;
  };
  if (only !== undefined)
    return () => {
      const r = nextReplica(replicas);
      return carrying(r, (releases) => fleetFor(env, scope, r).acquire({ only, cost, releases }));
    };
  if (sessionKey === null)
    return (tried) => {
      const r = nextReplica(replicas);
      return carrying(r, (releases) => fleetFor(env, scope, r).acquire({ exclude: tried, cost, releases }));
    };
  const session = sessionFor(env, caller.organizationId, sessionKey);
  return (tried, attempt) =>
    carrying(sessionReplica(sessionKey, replicas), (releases) =>
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
