// Spare leases: an acquire may bring back leases beyond its own request's (AcquireOptions.spares), each chosen
// by the fleet as the next request like it would be and counted there as in flight from then on. This
// isolate's next plain requests to that fleet take them without a call. A spare no request takes within
// FLEET_SPARE_TTL_MS goes back unused, owed like any release, so no choice lags the fleet's state by more
// than that. A host that failed a request here loses its spares here at once, and an admin status change
// drops them for its host. How many to ask for follows demand: as many as requests to the fleet began in
// this isolate within the last TTL, up to FLEET_SPARE_LEASES, less those held, and by one acquire at a time.
import { configOf } from "../config";
import type { FleetScope, Lease } from "../contracts";
import type { Env } from "../env";
import { costOf, defaultTokenPolicy, type RequestCost } from "../routing/token-load";
import { sleep } from "../sleep";
import { fleetName } from "../stubs";
import { releaseLater } from "./owed-releases";

interface Spare {
  lease: Lease;
  /** The token cost the fleet counts it at: that of the request that fetched it. */
  tokens: number;
  until: number;
}

interface Pool {
  spares: Spare[];
  /** When this isolate's requests to the fleet of the last FLEET_SPARE_TTL_MS began, oldest first. */
  began: number[];
  /** An acquire that asked for spares is under way (one at a time asks). */
  asking: boolean;
}

const pools = new Map<string, Pool>();
/** Demand is counted up to this many requests in the window. */
const MAX_DEMAND = 256;

const poolOf = (scope: FleetScope): Pool => {
  const key = fleetName(scope);
  let pool = pools.get(key);
  if (!pool) {
    pool = { spares: [], began: [], asking: false };
    pools.set(key, pool);
  }
  return pool;
};

/** A spare counts the cost of the request that fetched it: one much cheaper or dearer does not take it. */
const alike = (a: number, b: number): boolean => a <= 2 * b && b <= 2 * a;

/** A new plain request to the fleet: a spare lease for it, if one is held and fresh. */
export function takeSpare(env: Env, scope: FleetScope, cost: RequestCost): Lease | undefined {
  const { FLEET_SPARE_LEASES: most, FLEET_SPARE_TTL_MS: ttl } = configOf(env);
  if (most === 0) return undefined;
  const now = Date.now();
  const pool = poolOf(scope);
  pool.began.push(now);
  while (pool.began.length > MAX_DEMAND || (pool.began[0] ?? now) < now - ttl) pool.began.shift();
  const tokens = costOf(cost, defaultTokenPolicy);
  const i = pool.spares.findIndex((s) => s.until > now && alike(s.tokens, tokens));
  return i < 0 ? undefined : pool.spares.splice(i, 1)[0]?.lease;
}

/**
 * How many spares the acquire the request now makes should ask for (reserved until `keep` is called). One
 * acquire at a time asks: in a burst every request arrives before any spare does, and if each asked for the
 * ones after it, most would go back unused, and the hosts they were on would get fewer requests than the rest.
 */
export function sparesWanted(env: Env, scope: FleetScope): number {
  const pool = poolOf(scope);
  if (pool.asking) return 0;
  const others = pool.began.length - 1;
  const wanted = Math.max(0, Math.min(configOf(env).FLEET_SPARE_LEASES, others - pool.spares.length));
  pool.asking = wanted > 0;
  return wanted;
}

/**
 * Holds the spares an acquire brought (`asked` of them were asked for); resolves once every one of them was
 * taken or went back unused, for the fetching request's waitUntil.
 */
export function keepSpares(
  env: Env,
  scope: FleetScope,
  asked: number,
  leases: Lease[],
  cost: RequestCost,
): Promise<void> {
  const pool = poolOf(scope);
  if (asked > 0) pool.asking = false;
  if (leases.length === 0) return Promise.resolve();
  const ttl = configOf(env).FLEET_SPARE_TTL_MS;
  const tokens = costOf(cost, defaultTokenPolicy);
  const kept = leases.map((lease) => ({ lease, tokens, until: Date.now() + ttl }));
  pool.spares.push(...kept);
  return sleep(ttl).then(() => returnSpares(env, scope, (s) => kept.includes(s)));
}

/** Sends back unused the spares held on a host (it failed here, or its status changed). */
export const dropSpares = (env: Env, scope: FleetScope, instanceId: string): Promise<void> =>
  returnSpares(env, scope, (s) => s.lease.instanceId === instanceId);

async function returnSpares(env: Env, scope: FleetScope, which: (s: Spare) => boolean): Promise<void> {
  const pool = pools.get(fleetName(scope));
  if (!pool) return;
  const back = pool.spares.filter(which);
  if (back.length === 0) return;
  pool.spares = pool.spares.filter((s) => !which(s));
  await Promise.all(
    back.map(({ lease }) =>
      releaseLater(env, scope, lease.replica ?? 0, { leaseId: lease.leaseId, outcome: "unused" }),
    ),
  );
}
