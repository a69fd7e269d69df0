// Worker selection as pure functions over the fleet's live state. The Fleet Durable Object
// holds the state and calls these; nothing here does I/O.
import type { InstanceStatus } from "../../schema";
import type { AgentFacts } from "../hosts/agent-report";
import type { ProbeState } from "../probes/probe-state";
import type { KnownCapacity } from "./capacity";
import { defaultSaturation, isSaturated, type LoadReading, type SaturationPolicy } from "./load-reading";

export interface FleetMember {
  instanceId: string;
  baseUrl: string;
  /** The control plane's word (Postgres `instances.status`, admin API). */
  status: InstanceStatus;
  /** What the host itself last reported: starting | ready | draining. */
  hostStatus: string;
  /** waiting + running, as last sampled (the fresher of heartbeat and probe). */
  reportedQueueDepth: number;
  /** 0 for a host no agent has reported for (probes alone). */
  lastHeartbeatAt: number;
  /** The last load sample, by heartbeat or /metrics probe; absent before the first. */
  load?: LoadReading | null;
  /** The router's probes of the host; absent = booting (no verdict yet). */
  probe?: ProbeState;
  /** The Hugging Face id the host must list on /v1/models. */
  model?: string;
  /** The host's vLLM API key, sealed (host-key.ts); null or absent for a keyless host. */
  sealedApiKey?: string | null;
  /** What its agent last said of the GPUs and itself, when one reports. */
  agent?: (AgentFacts & { reportedAt: number }) | null;
  /** Router requests currently open on this host (leases). */
  inflight: number;
  /** Of those, the ones sent after the last report, which the report cannot include yet. */
  inflightSinceReport: number;
  /** Its slots and decode rate as the router has seen them (routing/capacity.ts); absent before anything is. */
  capacity?: KnownCapacity;
  /** Circuit breaker: not chosen before this time (ms). */
  ejectedUntil: number;
  consecutiveFailures: number;
}

export interface FleetPolicy {
  staleAfterMs: number;
  /** Loads within this distance of the minimum count as a tie, broken at random. */
  tieMargin: number;
  ejectBaseMs: number;
  ejectMaxMs: number;
  saturation: SaturationPolicy;
}

export const defaultPolicy: FleetPolicy = {
  staleAfterMs: 300_000,
  tieMargin: 0,
  ejectBaseMs: 5_000,
  ejectMaxMs: 60_000,
  saturation: defaultSaturation,
};

export const liveLoad = (m: FleetMember): number => m.reportedQueueDepth + m.inflightSinceReport;

export function isFresh(m: FleetMember, now: number, policy: FleetPolicy): boolean {
  return now - m.lastHeartbeatAt <= policy.staleAfterMs;
}

/** The router's own probes ran lately: their verdict does not depend on an agent. */
const probedLately = (m: FleetMember, now: number, policy: FleetPolicy): boolean =>
  m.probe?.lastProbeAt != null && now - m.probe.lastProbeAt <= policy.staleAfterMs;

/** Its agent reported lately (a host without an agent never has). */
const agentSpeaks = (m: FleetMember, now: number, policy: FleetPolicy): boolean =>
  m.lastHeartbeatAt > 0 && isFresh(m, now, policy);

/**
 * Ready by the control plane, alive, and not told otherwise by its agent: the breaker aside. Alive =
 * the router's probes say up, or, before any probe verdict, a fresh agent says ready. A host its
 * probes took out stays out until they bring it back, whatever its agent says.
 */
export function isUp(m: FleetMember, now: number, policy: FleetPolicy): boolean {
  if (m.status !== "ready") return false;
  const phase = m.probe?.phase ?? "booting";
  const agentReady = m.hostStatus === "ready" && agentSpeaks(m, now, policy);
  // Up on the agent's word alone (never probed yet) lasts as long as the agent keeps reporting.
  if (phase === "up") return agentReady || (!agentSpeaks(m, now, policy) && probedLately(m, now, policy));
  return phase === "booting" && agentReady;
}

/**
 * Runs nothing: no lease open here, and the host reports an empty queue (or has gone silent for
 * good). Leases alone are not enough: they restart at zero with the object, and expire.
 */
export function isIdle(m: FleetMember, now: number, policy: FleetPolicy): boolean {
  const sampledAt = m.load?.at ?? m.lastHeartbeatAt;
  return m.inflight === 0 && (m.reportedQueueDepth === 0 || now - sampledAt > policy.staleAfterMs);
}

/**
 * Circuit breaker state: ejected during its cooldown; after it, half-open: a host that failed
 * takes one request at a time (a probe) until one succeeds, instead of a burst it may fail again.
 */
export function isCoolingDown(m: FleetMember, now: number): boolean {
  return m.ejectedUntil > now || (m.consecutiveFailures > 0 && m.inflight > 0);
}

/** May take new, unpinned work. */
export function isRoutable(m: FleetMember, now: number, policy: FleetPolicy): boolean {
  return isUp(m, now, policy) && !isCoolingDown(m, now);
}

/** Up to this many hosts, every decision scans them all (well under a microsecond per host). */
export const EXACT_SCAN_LIMIT = 64;
/** Beyond it, the best of this many random routable hosts ("power of d choices"). */
export const SAMPLED_CHOICES = 4;
const MAX_DRAWS = 4 * SAMPLED_CHOICES;

/**
 * The least-loaded routable host, ties broken at random so that concurrent requests between two
 * heartbeats do not all land on one host. A fleet larger than EXACT_SCAN_LIMIT is sampled
 * instead, so the cost of a decision stays flat as the fleet grows (bench/selection.ts); a fleet
 * so unroutable that sampling cannot find enough candidates falls back to the exact scan.
 *
 * Panic: when every ready, fresh host is cooling down, the breaker has ejected the whole fleet (a
 * network blip, or one bad request answered 500 by each host), and refusing everything for the
 * cooldown would turn that into an outage. As Envoy does, the breaker is then ignored and the
 * least-loaded of those hosts is chosen. Hosts this request already tried stay excluded.
 */
export function selectLeastLoaded(
  members: readonly FleetMember[],
  now: number,
  policy: FleetPolicy,
  exclude: ReadonlySet<string> = new Set(),
  random: () => number = Math.random,
): FleetMember | undefined {
  const routable = (m: FleetMember) => !exclude.has(m.instanceId) && isRoutable(m, now, policy);
  // Saturated hosts (long queue, full KV cache) only when every routable host is.
  const roomy = (m: FleetMember) => routable(m) && !isSaturated(m.load ?? null, policy.saturation);
  if (members.length > EXACT_SCAN_LIMIT) {
    let best: FleetMember | undefined;
    let found = 0;
    for (let draws = 0; found < SAMPLED_CHOICES && draws < MAX_DRAWS; draws++) {
      const m = members[Math.floor(random() * members.length)];
      if (!m || !roomy(m)) continue;
      found += 1;
      if (!best || liveLoad(m) < liveLoad(best)) best = m;
    }
    if (found === SAMPLED_CHOICES) return best;
  }
  const panic = (m: FleetMember) => !exclude.has(m.instanceId) && isUp(m, now, policy);
  return (
    leastLoadedOf(members, roomy, policy.tieMargin, random) ??
    leastLoadedOf(members, routable, policy.tieMargin, random) ??
    leastLoadedOf(members, panic, policy.tieMargin, random)
  );
}

/** Exact scan: the eligible members within `tieMargin` of the lowest live load, one picked at random. */
function leastLoadedOf(
  members: readonly FleetMember[],
  eligible: (m: FleetMember) => boolean,
  tieMargin: number,
  random: () => number,
): FleetMember | undefined {
  let best = Infinity;
  for (const m of members) if (eligible(m)) best = Math.min(best, liveLoad(m));
  if (best === Infinity) return undefined;
  const limit = best + tieMargin;
  let ties = 0;
  for (const m of members) if (eligible(m) && liveLoad(m) <= limit) ties += 1;
  let pick = Math.floor(random() * ties);
  for (const m of members) {
    if (eligible(m) && liveLoad(m) <= limit && pick-- === 0) return m;
  }
  return undefined;
}

/** Why nothing could be chosen, for the 503 message. */
export function explainNoHost(members: Iterable<FleetMember>, now: number, policy: FleetPolicy): string {
  const all = [...members];
  if (all.length === 0) return "no worker is registered for this model";
  const probed = (m: FleetMember) => m.probe?.phase === "up" || m.probe?.phase === "down";
  const ready = all.filter((m) => m.status === "ready" && (m.hostStatus === "ready" || probed(m)));
  if (ready.length === 0) return "no worker for this model is ready";
  const alive = ready.filter((m) => m.probe?.phase !== "down");
  if (alive.length === 0) return "every ready worker is failing its health probes";
  if (!alive.some((m) => probedLately(m, now, policy) || isFresh(m, now, policy)))
    return "every ready worker has missed its heartbeats";
  return "every ready worker is failing and cooling down";
}

/**
 * Circuit breaker: exponential cooldown after consecutive failures. Failures reported while the
 * host is already ejected are the same incident (requests that were in flight when it broke):
 * they do not lengthen the cooldown, or ten concurrent requests would jump it to the maximum.
 */
export function ejectAfterFailure(m: FleetMember, now: number, policy: FleetPolicy): void {
  if (m.ejectedUntil > now) return;
  m.consecutiveFailures += 1;
  const cooldown = Math.min(policy.ejectMaxMs, policy.ejectBaseMs * 2 ** (m.consecutiveFailures - 1));
  m.ejectedUntil = now + cooldown;
}
