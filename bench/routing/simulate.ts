// Replays one trace against one policy: arrivals, completions (the router's lease releases) and load samples
// (taken every interval, delivered late) in time order. Deterministic for a given scenario and seed.
import { SimHost } from "./host-sim";
import { makePolicy, type PolicyName, type Truth } from "./policies";
import { seeded } from "./rng";
import type { Scenario } from "./scenario";
import type { TraceRequest } from "./trace";

export interface Outcome {
  request: TraceRequest;
  host: number;
  ttftMs: number;
  e2eMs: number;
  /** Follow-up turn served where the previous turn ran (null: not a follow-up). */
  keptAffinity: boolean | null;
  repin: string | null;
}

export interface Run {
  outcomes: Outcome[];
  /** Per burst, at its last arrival: each host's backlog (output tokens still to generate). */
  burstBacklogs: number[][];
}

type Event =
  | { at: number; order: 0; kind: "done"; request: TraceRequest; host: number; decodeMs: number }
  | { at: number; order: 3; kind: "burst_end"; burstId: number }
  | { at: number; order: 1; kind: "sample"; host: number; takenAt: number }
  | { at: number; order: 2; kind: "arrival"; request: TraceRequest };

/** A binary min-heap on (at, order): completions before samples before arrivals at the same instant. */
class Queue {
  private heap: Event[] = [];
  private less = (a: Event, b: Event) => a.at < b.at || (a.at === b.at && a.order < b.order);
  get size(): number {
    return this.heap.length;
  }
  push(e: Event): void {
    const h = this.heap;
    h.push(e);
    for (let i = h.length - 1; i > 0; ) {
      const parent = (i - 1) >> 1;
      if (!this.less(h[i]!, h[parent]!)) break;
      [h[i], h[parent]] = [h[parent]!, h[i]!];
      i = parent;
    }
  }
  pop(): Event {
    const h = this.heap;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      for (let i = 0; ; ) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && this.less(h[l]!, h[m]!)) m = l;
        if (r < h.length && this.less(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top;
  }
}

export function simulate(scenario: Scenario, trace: readonly TraceRequest[], name: PolicyName): Run {
  const hosts = scenario.hosts.map((spec) => new SimHost(spec));
  // Where each session's context is cached: the host of its previous turn, and that turn's prompt.
  const context = new Map<number, { host: number; promptTokens: number }>();
  const truth: Truth = {
    hosts,
    cachedTokens: (h, r) => {
      const c = r.sessionId === null ? undefined : context.get(r.sessionId);
      return c && c.host === h ? Math.min(c.promptTokens, r.promptTokens) : 0;
    },
  };
  const policy = makePolicy(name, truth, seeded(scenario.seed * 7919 + 1));
  const phase = seeded(scenario.seed + 1);
  const { sampleEveryMs, sampleDelayMs } = scenario.signals;
  const endMs = scenario.traffic.durationS * 1000;

  const queue = new Queue();
  for (const request of trace) queue.push({ at: request.atMs, order: 2, kind: "arrival", request });
  hosts.forEach((_, host) => {
    for (let takenAt = phase() * sampleEveryMs; takenAt < endMs * 2; takenAt += sampleEveryMs)
      queue.push({ at: takenAt + sampleDelayMs, order: 1, kind: "sample", host, takenAt });
  });

  const burstEnds = new Map<number, number>();
  for (const r of trace)
    if (r.burstId !== null) burstEnds.set(r.burstId, Math.max(burstEnds.get(r.burstId) ?? 0, r.atMs));
  for (const [burstId, at] of burstEnds) queue.push({ at, order: 3, kind: "burst_end", burstId });

  const outcomes: Outcome[] = [];
  const burstBacklogs: number[][] = [];
  let pending = trace.length;
  while (queue.size > 0 && pending > 0) {
    const e = queue.pop();
    if (e.kind === "done") {
      policy.done(e.request, e.host, e.at, { outputTokens: e.request.outputTokens, decodeMs: e.decodeMs });
      pending -= 1;
    } else if (e.kind === "burst_end") {
      burstBacklogs[e.burstId] = hosts.map((h) => h.backlogAt(e.at));
    } else if (e.kind === "sample") {
      policy.sample(e.host, { ...hosts[e.host]!.sampleAt(e.takenAt), at: e.takenAt, source: "probe" }, e.at);
      hosts[e.host]!.prune(e.takenAt);
    } else {
      const r = e.request;
      const { host, repin } = policy.choose(r, e.at);
      const cached = truth.cachedTokens(host, r);
      const served = hosts[host]!.admit(e.at, r.promptTokens, r.promptTokens - cached, r.outputTokens);
      policy.sent(r, host, e.at);
      const decodeMs = served.endMs - served.firstTokenMs;
      queue.push({ at: served.endMs, order: 0, kind: "done", request: r, host, decodeMs });
      const previous = r.sessionId === null ? undefined : context.get(r.sessionId);
      if (r.sessionId !== null) context.set(r.sessionId, { host, promptTokens: r.promptTokens + r.outputTokens });
      outcomes.push({
        request: r,
        host,
        ttftMs: served.firstTokenMs - e.at,
        e2eMs: served.endMs - e.at,
        keptAffinity: previous ? previous.host === host : null,
        repin: previous && previous.host !== host ? (repin ?? "unpinned") : null,
      });
    }
  }
  return { outcomes, burstBacklogs };
}
