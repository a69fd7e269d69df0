// The router's host choice: the host where a request should finish soonest, from load counted in tokens
// against each host's capacity (token-load.ts). Saturated hosts (long queue, nearly full KV cache, by their
// last fresh reading) are chosen only when every candidate is. Sessions stay on their host, whose KV cache
// holds their prefix, while it is routable and within the affinity bound of the best host. Pure and generic
// over the member type: the fleet state says how to read a member.
import { EXACT_SCAN_LIMIT, SAMPLED_CHOICES } from "./fleet-policy";
import type { LoadReading } from "./load-reading";
import type { RepinReason } from "./session-policy";
import {
  costOf,
  drainTimeMs,
  estimateLoad,
  expectedLatencyMs,
  type HostCapacity,
  type LeaseLoad,
  type RequestCost,
  type TokenPolicy,
} from "./token-load";

/** What the policy reads of a member. */
export interface HostView {
  /** What is known of the host's capacity (declared or learned); the policy's default fills the rest. */
  capacity: Partial<HostCapacity>;
  leases: LeaseLoad;
  reading: LoadReading | null;
}

/** Expected end-to-end ms of `request` on this host; `cachedPromptTokens` of its prompt are in its KV cache. */
export function hostLatencyMs(
  h: HostView,
  request: RequestCost,
  now: number,
  p: TokenPolicy,
  cachedPromptTokens = 0,
): number {
  const cached = Math.min(Math.max(0, cachedPromptTokens), request.promptTokens);
  const uncached = costOf({ promptTokens: request.promptTokens - cached, outputTokens: request.outputTokens }, p);
  return hostScore(h, costOf(request, p), uncached, now, p).latencyMs;
}

interface Score {
  latencyMs: number;
  drainMs: number;
}

/** `cost` prices the host's unexplained load; `uncached` is what this request costs there. */
function hostScore(h: HostView, cost: number, uncached: number, now: number, p: TokenPolicy): Score {
  const capacity = {
    slots: h.capacity.slots ?? p.defaultCapacity.slots,
    tokensPerSecond: h.capacity.tokensPerSecond ?? p.defaultCapacity.tokensPerSecond,
  };
  const load = estimateLoad(h.leases, h.reading, now, p, cost);
  return { latencyMs: expectedLatencyMs(load, capacity, uncached), drainMs: drainTimeMs(load, capacity, uncached) };
}

/**
 * Saturated, by a reading at most a half-life old: a nearly full KV cache (which leases cannot see), or, for a
 * host that declares no capacity, a long waiting queue (its real slot count is unknown). A declared host's queue
 * is in its latency already: gating it too would send a whole burst to whichever host was sampled last.
 */
export function isHostSaturated(h: HostView, now: number, p: TokenPolicy): boolean {
  const r = h.reading;
  if (r === null || now - r.at > p.readingHalfLifeMs) return false;
  if (r.kvUsage !== null && r.kvUsage >= p.saturation.maxKvUsage) return true;
  return h.capacity.slots === undefined && r.waiting >= p.saturation.maxWaiting;
}

const MAX_DRAWS = 4 * SAMPLED_CHOICES;

interface Candidate<M> extends Score {
  member: M;
  saturated: boolean;
}

/**
 * The eligible member where `request` should finish soonest; unsaturated ones first. Hosts whose expected
 * latency is within `latencySlack` of the best count as equally fast, and the one with the least work for its
 * capacity takes the request (equal hosts then share a burst evenly, and a fast host is not piled up for a
 * few percent); exact ties are broken at random. Beyond EXACT_SCAN_LIMIT members, the same choice among
 * SAMPLED_CHOICES random eligible ones, so a decision costs the same at 1,000 hosts as at 64; too few
 * eligible to sample falls back to the scan.
 */
export function selectFastest<M>(
  members: readonly M[],
  view: (m: M) => HostView,
  eligible: (m: M) => boolean,
  request: RequestCost,
  now: number,
  p: TokenPolicy,
  random: () => number = Math.random,
): M | undefined {
  const cost = costOf(request, p);
  const candidate = (m: M): Candidate<M> => {
    const h = view(m);
    const s = hostScore(h, cost, cost, now, p);
    return { member: m, saturated: isHostSaturated(h, now, p), latencyMs: s.latencyMs, drainMs: s.drainMs };
  };
  if (members.length > EXACT_SCAN_LIMIT) {
    const sampled: Candidate<M>[] = [];
    for (let draws = 0; sampled.length < SAMPLED_CHOICES && draws < MAX_DRAWS; draws++) {
      const m = members[Math.floor(random() * members.length)];
      if (m !== undefined && eligible(m)) sampled.push(candidate(m));
    }
    if (sampled.length === SAMPLED_CHOICES) return pickBest(sampled, p, random);
  }
  const all: Candidate<M>[] = [];
  for (const m of members) if (eligible(m)) all.push(candidate(m));
  return pickBest(all, p, random);
}

function pickBest<M>(candidates: readonly Candidate<M>[], p: TokenPolicy, random: () => number): M | undefined {
  const pool = candidates.some((c) => !c.saturated) ? candidates.filter((c) => !c.saturated) : candidates;
  let fastest = Infinity;
  for (const c of pool) fastest = Math.min(fastest, c.latencyMs);
  // Within a microsecond counts as equal (floating point).
  const limit = fastest * (1 + p.latencySlack) + 1e-3;
  let leastDrain = Infinity;
  for (const c of pool) if (c.latencyMs <= limit) leastDrain = Math.min(leastDrain, c.drainMs);
  const ties = pool.filter((c) => c.latencyMs <= limit && c.drainMs <= leastDrain + 1e-3);
  return ties[Math.floor(random() * ties.length)]?.member;
}

export interface LatencySessionInput<M> {
  /** The session's host; null on its first request, undefined when it is no longer in the fleet. */
  pinned: M | null | undefined;
  /** The pinned host already failed this request. */
  pinnedFailed: boolean;
  /** Why the pinned host may not take new work; null when it may. */
  unroutable: RepinReason | null;
  /** The best host for the request, as selectFastest (with the fleet's fallbacks) chooses it. */
  best: () => M | undefined;
  view: (m: M) => HostView;
  request: RequestCost;
  /** Prompt tokens the pinned host already holds for this session (its previous turns). */
  cachedPromptTokens: number;
  now: number;
}

export interface LatencySessionRoute<M> {
  chosen: M | undefined;
  repin: RepinReason | null;
}

/**
 * Keep the pin while the pinned host is routable, not saturated (unless all are), and its expected latency (its KV cache spares the
 * session's prefix) is within `affinityBoundMs` of the best host's; otherwise move, saying why.
 */
export function routeSessionByLatency<M>(input: LatencySessionInput<M>, p: TokenPolicy): LatencySessionRoute<M> {
  const moveTo = (repin: RepinReason): LatencySessionRoute<M> => ({ chosen: input.best(), repin });
  const pinned = input.pinned;
  if (pinned === null) return moveTo("first_request");
  if (input.pinnedFailed) return moveTo("failover");
  if (pinned === undefined) return moveTo("worker_gone");
  if (input.unroutable) return moveTo(input.unroutable);
  const h = input.view(pinned);
  const best = input.best();
  if (best === undefined || best === pinned) return { chosen: pinned, repin: null };
  // A saturated host sheds its sessions to an unsaturated one (best is saturated only if all are).
  if (isHostSaturated(h, input.now, p) && !isHostSaturated(input.view(best), input.now, p))
    return { chosen: best, repin: "overloaded" };
  const stay = hostLatencyMs(h, input.request, input.now, p, input.cachedPromptTokens);
  const move = hostLatencyMs(input.view(best), input.request, input.now, p);
  if (stay > move + p.affinityBoundMs) return { chosen: best, repin: "overloaded" };
  return { chosen: pinned, repin: null };
}
