// The policies compared, each seeing only what it would see in production. `router` is the FleetState the
// FleetObject runs; `least_loaded_v1` drives the policy it replaced; the oracle reads every host's true queue at
// the instant of choice.
import { FleetState } from "../../worker/fleet/fleet-state";
import type { ServedSample } from "../../worker/routing/capacity";
import { defaultPolicy, type FleetMember, selectLeastLoaded } from "../../worker/routing/fleet-policy";
import type { LoadReading } from "../../worker/routing/load-reading";
import { defaultSessionPolicy, routeSession } from "../../worker/routing/session-policy";
import { defaultTokenPolicy, type RequestCost, type TokenPolicy } from "../../worker/routing/token-load";
import type { SimHost } from "./host-sim";
import type { Random } from "./rng";
import type { TraceRequest } from "./trace";

export const POLICY_NAMES = [
  "round_robin",
  "random",
  "least_loaded_v1",
  "router",
  "router_undeclared",
  "oracle",
] as const;
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
  /** The request ended; `served` is how fast its tokens came (what a completed stream tells the router). */
  done(r: TraceRequest, host: number, now: number, served: ServedSample): void;
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

/**
 * The router itself: a FleetState, the class the FleetObject runs, on the simulation's clock. Hosts are
 * registered as the admin API does (with their max_num_seqs when `declared`) and known only by their probes;
 * the rest of their capacity is learned.
 */
function fleetRouter(hosts: readonly SimHost[], random: Random, tokens: TokenPolicy, declared: boolean): SimPolicy {
  const n = hosts.length;
  let clock = 0;
  let leaseIds = 0;
  const state = new FleetState(
    { policy: defaultPolicy, tokens },
    () => clock,
    random,
    () => `lease-${++leaseIds}`,
  );
  // The first good probe, with /v1/models listing the model, admits a registered host.
  const admitted = { result: { alive: true as const, models: { ok: true as const } }, load: null, startedAt: 0 };
  for (let i = 0; i < n; i++) {
    state.admit({
      instanceId: String(i),
      baseUrl: `http://host-${i}`,
      model: "m",
      sealedApiKey: null,
      knownStatus: "ready",
      maxNumSeqs: declared ? hosts[i]!.spec.slots : null,
    });
    state.probed(String(i), admitted);
  }
  const leases = new Map<number, string>();
  const pins = new Map<number, string>();
  return {
    choose(r, now) {
      clock = now;
      const cost: RequestCost = { promptTokens: r.promptTokens, outputTokens: r.maxTokens };
      const session = r.sessionId === null ? undefined : { pinnedId: pins.get(r.sessionId) ?? null };
      const result = state.acquire({ cost, session });
      if (!result.ok) throw new Error(`the router chose no host: ${result.reason}`);
      leases.set(r.index, result.lease.leaseId);
      if (r.sessionId !== null) pins.set(r.sessionId, result.lease.instanceId);
      return { host: Number(result.lease.instanceId), repin: session ? result.repin : null };
    },
    sent: ignore,
    done(r, _host, now, served) {
      clock = now;
      state.release(leases.get(r.index)!, "ok", served);
      leases.delete(r.index);
    },
    sample(host, reading, now) {
      clock = now;
      state.probed(String(host), { result: { alive: true }, load: reading, startedAt: reading.at });
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
      return fleetRouter(truth.hosts, random, defaultTokenPolicy, true);
    case "router_undeclared":
      return fleetRouter(truth.hosts, random, defaultTokenPolicy, false);
    case "oracle":
      return oracle(truth, random);
  }
}
