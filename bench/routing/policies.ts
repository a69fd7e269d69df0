// The policies compared, each seeing only what it would see in production. `least_loaded_v1` and `router` drive
// the very functions the fleet state calls; the oracle reads every host's true queue at the instant of choice.
import { defaultPolicy, type FleetMember, selectLeastLoaded } from "../../worker/routing/fleet-policy";
import { type HostView, routeSessionByLatency, selectFastest } from "../../worker/routing/latency-policy";
import type { LoadReading } from "../../worker/routing/load-reading";
import { defaultSessionPolicy, routeSession } from "../../worker/routing/session-policy";
import { costOf, defaultTokenPolicy, type RequestCost, type TokenPolicy } from "../../worker/routing/token-load";
import type { SimHost } from "./host-sim";
import type { Random } from "./rng";
import type { TraceRequest } from "./trace";

export const POLICY_NAMES = ["round_robin", "random", "least_loaded_v1", "router", "oracle"] as const;
export type PolicyName = (typeof POLICY_NAMES)[number];

export interface Choice {
  host: number;
  /** Why a session left its host (null: kept, or no session). */
  repin: string | null;
}

/** What the simulation knows and tells the oracle only. */
export interface Truth {
  hosts: readonly SimHost[];
  /** Prompt tokens of this request already in host `h`'s prefix cache. */
  cachedTokens(h: number, r: TraceRequest): number;
}

export interface SimPolicy {
  choose(r: TraceRequest, now: number): Choice;
  sent(r: TraceRequest, host: number, now: number): void;
  done(r: TraceRequest, host: number, now: number): void;
  /** A load sample taken at `reading.at` reaches the router at `now`. */
  sample(host: number, reading: LoadReading, now: number): void;
}

const ignore = (): void => {};

function roundRobin(n: number): SimPolicy {
  let next = 0;
  return { choose: () => ({ host: next++ % n, repin: null }), sent: ignore, done: ignore, sample: ignore };
}

function uniform(n: number, random: Random): SimPolicy {
  return {
    choose: () => ({ host: Math.floor(random() * n), repin: null }),
    sent: ignore,
    done: ignore,
    sample: ignore,
  };
}

/** Today's policy: least live load in requests (last report + leases since), sessions within 4 requests. */
function leastLoadedV1(n: number, random: Random): SimPolicy {
  const members: FleetMember[] = Array.from({ length: n }, (_, i) => ({
    instanceId: String(i),
    baseUrl: `http://host-${i}`,
    status: "ready",
    hostStatus: "ready",
    reportedQueueDepth: 0,
    // An agent reports for every host (0 would mean a probed-only host).
    lastHeartbeatAt: 1,
    inflight: 0,
    inflightSinceReport: 0,
    ejectedUntil: 0,
    consecutiveFailures: 0,
  }));
  const pins = new Map<number, string>();
  const issued = new Map<number, number>();
  const none = new Set<string>();
  return {
    choose(r, now) {
      const route =
        r.sessionId === null
          ? { chosen: selectLeastLoaded(members, now, defaultPolicy, none, random), repin: null }
          : routeSession(
              {
                members,
                find: (id) => members[Number(id)],
                pinnedId: pins.get(r.sessionId) ?? null,
                exclude: none,
                now,
              },
              defaultPolicy,
              defaultSessionPolicy,
              random,
            );
      const host = Number(route.chosen!.instanceId);
      if (r.sessionId !== null) pins.set(r.sessionId, String(host));
      return { host, repin: route.repin };
    },
    sent(r, host, now) {
      members[host]!.inflight += 1;
      members[host]!.inflightSinceReport += 1;
      issued.set(r.index, now);
    },
    done(r, host) {
      const m = members[host]!;
      m.inflight -= 1;
      if ((issued.get(r.index) ?? 0) > m.lastHeartbeatAt)
        m.inflightSinceReport = Math.max(0, m.inflightSinceReport - 1);
      issued.delete(r.index);
    },
    sample(host, reading, now) {
      const m = members[host]!;
      m.reportedQueueDepth = reading.waiting + reading.running;
      m.lastHeartbeatAt = now;
      m.inflightSinceReport = 0;
    },
  };
}

interface OpenLease {
  host: number;
  at: number;
  cost: number;
}

/** The new policy: expected latency from token load over declared capacity, aged readings plus leases. */
function latencyRouter(hosts: readonly SimHost[], random: Random, p: TokenPolicy): SimPolicy {
  const views: HostView[] = hosts.map((h) => ({
    capacity: { slots: h.spec.slots, tokensPerSecond: h.spec.tokensPerSecond },
    leases: { count: 0, tokens: 0, openedSinceReading: 0, closedSinceReading: 0 },
    reading: null,
  }));
  const index = new Map(views.map((v, i) => [v, i]));
  const open = new Map<number, OpenLease>();
  const pins = new Map<number, { host: number; promptTokens: number }>();
  const all = () => true;
  const costOfTrace = (r: TraceRequest): RequestCost => ({ promptTokens: r.promptTokens, outputTokens: r.maxTokens });
  return {
    choose(r, now) {
      const request = costOfTrace(r);
      const best = () => selectFastest(views, (v) => v, all, request, now, p, random);
      const pin = r.sessionId === null ? undefined : pins.get(r.sessionId);
      const route =
        r.sessionId === null
          ? { chosen: best(), repin: null }
          : routeSessionByLatency(
              {
                pinned: pin ? views[pin.host] : null,
                pinnedFailed: false,
                unroutable: null,
                best,
                view: (v) => v,
                request,
                cachedPromptTokens: pin?.promptTokens ?? 0,
                now,
              },
              p,
            );
      const host = index.get(route.chosen!)!;
      if (r.sessionId !== null) pins.set(r.sessionId, { host, promptTokens: r.promptTokens });
      return { host, repin: route.repin };
    },
    sent(r, host, now) {
      const cost = costOf(costOfTrace(r), p);
      open.set(r.index, { host, at: now, cost });
      const l = views[host]!.leases;
      l.count += 1;
      l.tokens += cost;
      l.openedSinceReading += 1;
    },
    done(r, host) {
      const lease = open.get(r.index)!;
      open.delete(r.index);
      const v = views[host]!;
      v.leases.count -= 1;
      v.leases.tokens -= lease.cost;
      if (lease.at > (v.reading?.at ?? -1)) v.leases.openedSinceReading -= 1;
      else v.leases.closedSinceReading += 1;
    },
    sample(host, reading) {
      const v = views[host]!;
      v.reading = reading;
      // Leases opened after the sample was taken are the ones it cannot include.
      v.leases.openedSinceReading = 0;
      v.leases.closedSinceReading = 0;
      for (const lease of open.values())
        if (lease.host === host && lease.at > reading.at) v.leases.openedSinceReading += 1;
    },
  };
}

/** Knows every host's queue and each request's true length: sends it where it would end first. */
function oracle(truth: Truth, random: Random): SimPolicy {
  return {
    choose(r, now) {
      let best = Infinity;
      let ties: number[] = [];
      truth.hosts.forEach((h, i) => {
        const end = h.quote(now, r.promptTokens - truth.cachedTokens(i, r), r.outputTokens).endMs;
        if (end < best) [best, ties] = [end, [i]];
        else if (end === best) ties.push(i);
      });
      return { host: ties[Math.floor(random() * ties.length)]!, repin: null };
    },
    sent: ignore,
    done: ignore,
    sample: ignore,
  };
}

export function makePolicy(name: PolicyName, truth: Truth, random: Random): SimPolicy {
  const n = truth.hosts.length;
  switch (name) {
    case "round_robin":
      return roundRobin(n);
    case "random":
      return uniform(n, random);
    case "least_loaded_v1":
      return leastLoadedV1(n, random);
    case "router":
      return latencyRouter(truth.hosts, random, defaultTokenPolicy);
    case "oracle":
      return oracle(truth, random);
  }
}
