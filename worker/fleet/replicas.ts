// A fleet served by FLEET_REPLICAS FleetObjects (`<org>:<model>`, then `<org>:<model>:1` …), so one object is
// not its ceiling. Each replica holds the whole membership (every heartbeat, registration and status change
// goes to all), probes and syncs on its own, and holds the leases it issued. A request goes to one replica:
// without a session the isolate's next in turn, with a session the one its key hashes to (so the session's
// pin and its releases always meet the same replica). ARCHITECTURE.md says what balance becomes.
import { configOf } from "../config";
import type { FleetScope, MemberView } from "../contracts";
import type { Env } from "../env";
import { fleetFor } from "../stubs";

export const replicaCount = (env: Env): number => configOf(env).FLEET_REPLICAS;

type FleetStub = ReturnType<typeof fleetFor>;

/** Every replica, the first first, for what changes membership or status. */
export function fleetReplicas(env: Env, scope: FleetScope): [FleetStub, ...FleetStub[]] {
  const rest = Array.from({ length: replicaCount(env) - 1 }, (_, r) => fleetFor(env, scope, r + 1));
  return [fleetFor(env, scope, 0), ...rest];
}

let turn = 0;

/** The replica this isolate asks next, in turn. */
export const nextReplica = (replicas: number): number => (replicas <= 1 ? 0 : turn++ % replicas);

/** The replica a session's requests all go to (FNV-1a of its key). */
export function sessionReplica(sessionKey: string, replicas: number): number {
  if (replicas <= 1) return 0;
  let h = 0x811c9dc5;
  for (let i = 0; i < sessionKey.length; i++) h = Math.imul(h ^ sessionKey.charCodeAt(i), 0x01000193);
  return (h >>> 0) % replicas;
}

/**
 * The members as the first replica sees them, with every replica's leases added: each knows only its own
 * (membership, probes and readings are the same in all, up to a probe round).
 */
export async function fleetView(env: Env, scope: FleetScope, instanceIds?: string[]): Promise<MemberView[]> {
  const [first = [], ...others] = await Promise.all(fleetReplicas(env, scope).map((f) => f.view(instanceIds)));
  const extra = new Map<string, { inflight: number; sinceReport: number }>();
  for (const view of others)
    for (const m of view) {
      const e = extra.get(m.instanceId) ?? { inflight: 0, sinceReport: 0 };
      extra.set(m.instanceId, {
        inflight: e.inflight + m.inflight,
        sinceReport: e.sinceReport + m.inflightSinceReport,
      });
    }
  return first.map((m) => {
    const e = extra.get(m.instanceId);
    if (!e) return m;
    return {
      ...m,
      inflight: m.inflight + e.inflight,
      inflightSinceReport: m.inflightSinceReport + e.sinceReport,
      liveLoad: m.liveLoad + e.sinceReport,
    };
  });
}
