// Session affinity as a pure function. A session stays on its pinned host, whose KV cache holds
// the conversation's prefix, unless that host can no longer take new work or is busier than
// the least-loaded host by more than a margin; then it moves, and the reason is recorded.
import {
  type FleetMember,
  type FleetPolicy,
  isCoolingDown,
  isFresh,
  isUp,
  liveLoad,
  selectLeastLoaded,
} from "./fleet-policy";

export type RepinReason =
  | "first_request"
  | "model_changed"
  | "failover"
  | "worker_gone"
  | "worker_draining"
  | "worker_retired"
  | "worker_not_ready"
  | "worker_stale"
  | "worker_unhealthy"
  | "worker_ejected"
  | "overloaded";

export interface SessionPolicy {
  /** The pinned host may carry this much more live load than the least-loaded one. */
  repinMargin: number;
}

export const defaultSessionPolicy: SessionPolicy = { repinMargin: 4 };

export interface SessionRouteInput {
  members: readonly FleetMember[];
  find(instanceId: string): FleetMember | undefined;
  /** The session's host; null on its first request. */
  pinnedId: string | null;
  /** Hosts that already failed this request. */
  exclude: ReadonlySet<string>;
  now: number;
}

export interface SessionRoute {
  chosen: FleetMember | undefined;
  /** Null when the pin is kept. */
  repin: RepinReason | null;
}

/** Why a host may not take new work (pinned or not); null when it may. */
export function unroutableReason(m: FleetMember, now: number, policy: FleetPolicy): RepinReason | null {
  if (m.status === "draining" || m.hostStatus === "draining") return "worker_draining";
  if (m.status === "terminating" || m.status === "terminated" || m.status === "failed") return "worker_retired";
  if (m.status !== "ready") return "worker_not_ready";
  const phase = m.probe?.phase ?? "booting";
  if (phase === "down" || phase === "failed") return "worker_unhealthy";
  if (!isUp(m, now, policy)) return isFresh(m, now, policy) || phase === "up" ? "worker_not_ready" : "worker_stale";
  if (isCoolingDown(m, now)) return "worker_ejected";
  return null;
}

export function routeSession(
  input: SessionRouteInput,
  policy: FleetPolicy,
  session: SessionPolicy,
  random: () => number = Math.random,
): SessionRoute {
  const leastLoaded = () => selectLeastLoaded(input.members, input.now, policy, input.exclude, random);
  const moveTo = (repin: RepinReason): SessionRoute => ({ chosen: leastLoaded(), repin });

  if (input.pinnedId === null) return moveTo("first_request");
  if (input.exclude.has(input.pinnedId)) return moveTo("failover");
  const pinned = input.find(input.pinnedId);
  if (!pinned) return moveTo("worker_gone");
  const unroutable = unroutableReason(pinned, input.now, policy);
  if (unroutable) return moveTo(unroutable);

  const best = leastLoaded();
  if (best && liveLoad(pinned) > liveLoad(best) + session.repinMargin) return { chosen: best, repin: "overloaded" };
  return { chosen: pinned, repin: null };
}
