import { describe, expect, it } from "vitest";
import { EXACT_SCAN_LIMIT, SAMPLED_CHOICES } from "../../worker/routing/fleet-policy";
import {
  type HostView,
  hostLatencyMs,
  isHostSaturated,
  routeSessionByLatency,
  selectFastest,
} from "../../worker/routing/latency-policy";
import type { LoadReading } from "../../worker/routing/load-reading";
import { defaultTokenPolicy, type RequestCost } from "../../worker/routing/token-load";

const p = defaultTokenPolicy;
const NOW = 100_000;
const req: RequestCost = { promptTokens: 0, outputTokens: 100 };
const host = (slots: number, tokensPerSecond: number, count = 0, tokens = 0, reading: LoadReading | null = null) => ({
  capacity: { slots, tokensPerSecond },
  leases: { count, tokens, openedSinceReading: count, closedSinceReading: 0 },
  reading,
});
const probe = (o: Partial<LoadReading>): LoadReading => ({
  waiting: 0,
  running: 0,
  kvUsage: 0,
  at: NOW,
  source: "probe",
  ...o,
});
const all = () => true;
const self = (h: HostView) => h;
const first = () => 0;

describe("selectFastest", () => {
  it("the host where the request ends soonest: a fast one with free slots before a slow idle one", () => {
    const fast = host(32, 60, 20, 20 * 300);
    const slow = host(8, 30);
    expect(selectFastest([slow, fast], self, all, req, NOW, p, first)).toBe(fast);
  });
  it("within latencySlack (25 %) of the fastest, the least work per capacity wins", () => {
    const a = host(10, 100, 5, 5_000); // 1,000 ms, drains in 5.1 s
    const b = host(10, 90); // 1,111 ms, drains in 111 ms
    expect(selectFastest([a, b], self, all, req, NOW, p, first)).toBe(b);
    expect(selectFastest([a, b], self, all, req, NOW, { ...p, latencySlack: 0 }, first)).toBe(a);
  });
  it("queues count: a full host loses to a slower one with a free slot once the wait is long enough", () => {
    const full = host(4, 100, 8, 8 * 1_000); // 4.5 requests ahead at 1,000 tokens: 11.25 s + 1 s
    const slow = host(4, 20); // 5 s
    expect(hostLatencyMs(full, req, NOW, p)).toBe(12_250);
    expect(selectFastest([full, slow], self, all, req, NOW, p, first)).toBe(slow);
  });
  it("exact ties are broken at random", () => {
    const a = host(8, 50);
    const b = host(8, 50);
    expect(selectFastest([a, b], self, all, req, NOW, p, () => 0)).toBe(a);
    expect(selectFastest([a, b], self, all, req, NOW, p, () => 0.99)).toBe(b);
  });
  it("a saturated host (fresh KV ≥ 0.8) loses to every other; if all are, the fastest of them", () => {
    const full = host(32, 60, 0, 0, probe({ kvUsage: 0.85 }));
    const slow = host(8, 30);
    expect(selectFastest([full, slow], self, all, req, NOW, p, first)).toBe(slow);
    const slowFull = host(8, 30, 0, 0, probe({ kvUsage: 0.9 }));
    expect(selectFastest([full, slowFull], self, all, req, NOW, p, first)).toBe(full);
  });
  it("ineligible members are never chosen; none eligible: undefined", () => {
    const a = host(8, 50);
    const b = host(8, 10);
    expect(selectFastest([a, b], self, (h) => h === b, req, NOW, p, first)).toBe(b);
    expect(selectFastest([a, b], self, () => false, req, NOW, p, first)).toBeUndefined();
  });
  it(`beyond ${EXACT_SCAN_LIMIT} hosts, only ${SAMPLED_CHOICES} random ones are looked at`, () => {
    const members = Array.from({ length: 1_000 }, (_, i) => host(8, 10 + i));
    let viewed = 0;
    const draws = [0.1, 0.2, 0.3, 0.4];
    let d = 0;
    const chosen = selectFastest(
      members,
      (h) => {
        viewed += 1;
        return h;
      },
      all,
      req,
      NOW,
      p,
      () => draws[d++ % draws.length]!,
    );
    expect(viewed).toBe(SAMPLED_CHOICES);
    expect(chosen).toBe(members[400]);
  });
});

describe("isHostSaturated", () => {
  it("KV by a reading at most a half-life old; the waiting queue only for a host without declared capacity", () => {
    expect(isHostSaturated(host(8, 50, 0, 0, probe({ kvUsage: 0.8 })), NOW, p)).toBe(true);
    expect(isHostSaturated(host(8, 50, 0, 0, probe({ kvUsage: 0.8, at: NOW - p.readingHalfLifeMs - 1 })), NOW, p)).toBe(
      false,
    );
    expect(isHostSaturated(host(8, 50, 0, 0, probe({ waiting: 9 })), NOW, p)).toBe(false);
    expect(
      isHostSaturated({ ...host(8, 50, 0, 0, probe({ waiting: 5 })), capacity: { tokensPerSecond: 50 } }, NOW, p),
    ).toBe(true);
    expect(isHostSaturated(host(8, 50), NOW, p)).toBe(false);
  });
});

describe("routeSessionByLatency", () => {
  const pinned = host(8, 50, 6, 6 * 100); // 2,000 ms for 100 tokens
  const better = host(8, 100); // 1,000 ms
  const input = (o: Partial<Parameters<typeof routeSessionByLatency<HostView>>[0]> = {}) => ({
    pinned,
    pinnedFailed: false,
    unroutable: null,
    best: () => better,
    view: self,
    request: req,
    cachedPromptTokens: 0,
    now: NOW,
    ...o,
  });
  it("keeps its host while within affinityBoundMs (2 s) of the best", () => {
    expect(routeSessionByLatency(input(), p)).toEqual({ chosen: pinned, repin: null });
    expect(routeSessionByLatency(input(), { ...p, affinityBoundMs: 999 })).toEqual({
      chosen: better,
      repin: "overloaded",
    });
  });
  it("the prefix its host holds counts: a long prompt that would move stays when cached", () => {
    const long: RequestCost = { promptTokens: 4_000, outputTokens: 100 };
    const tight = { ...p, affinityBoundMs: 999 };
    // 300 tokens on 50 tok/s (6 s) against 300 on 100 (3 s); cached, 100 on 50 (2 s) against 3 s.
    expect(routeSessionByLatency(input({ request: long }), tight).repin).toBe("overloaded");
    expect(routeSessionByLatency(input({ request: long, cachedPromptTokens: 4_000 }), tight)).toEqual({
      chosen: pinned,
      repin: null,
    });
  });
  it("moves, saying why: first request, failover, gone, unroutable, saturated", () => {
    expect(routeSessionByLatency(input({ pinned: null }), p)).toEqual({ chosen: better, repin: "first_request" });
    expect(routeSessionByLatency(input({ pinnedFailed: true }), p).repin).toBe("failover");
    expect(routeSessionByLatency(input({ pinned: undefined }), p).repin).toBe("worker_gone");
    expect(routeSessionByLatency(input({ unroutable: "worker_draining" }), p).repin).toBe("worker_draining");
    const hot = host(8, 50, 0, 0, probe({ kvUsage: 0.95 }));
    expect(routeSessionByLatency(input({ pinned: hot }), p)).toEqual({ chosen: better, repin: "overloaded" });
    const allHot = host(8, 100, 0, 0, probe({ kvUsage: 0.95 }));
    expect(routeSessionByLatency(input({ pinned: hot, best: () => allHot }), p)).toEqual({ chosen: hot, repin: null });
  });
});
