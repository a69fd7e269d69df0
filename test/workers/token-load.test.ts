import { describe, expect, it } from "vitest";
import type { LoadReading } from "../../worker/routing/load-reading";
import {
  costOf,
  drainTimeMs,
  estimateLoad,
  estimateRequestCost,
  expectedLatencyMs,
  type LeaseLoad,
  defaultTokenPolicy as p,
} from "../../worker/routing/token-load";

const leases = (o: Partial<LeaseLoad> = {}): LeaseLoad => ({
  count: 4,
  tokens: 400,
  openedSinceReading: 1,
  closedSinceReading: 1,
  ...o,
});
const reading = (o: Partial<LoadReading> = {}): LoadReading => ({
  waiting: 2,
  running: 6,
  kvUsage: 0.1,
  at: 10_000,
  source: "probe",
  ...o,
});

describe("request cost", () => {
  it("prompt tokens weigh promptWeight (0.05) of an output token", () => {
    expect(costOf({ promptTokens: 1_000, outputTokens: 100 }, p)).toBe(150);
  });
  it("4 characters a token, max_tokens or 256 by default", () => {
    expect(estimateRequestCost(401, undefined, p)).toEqual({ promptTokens: 101, outputTokens: 256 });
    expect(estimateRequestCost(8, 32, p)).toEqual({ promptTokens: 2, outputTokens: 32 });
  });
});

describe("estimateLoad: leases exact, plus what a reading shows beyond them, fading", () => {
  it("without a reading, the leases alone", () => {
    expect(estimateLoad(leases(), null, 10_000, p, 50)).toEqual({ requests: 4, tokens: 400 });
  });
  it("a fresh reading adds the requests the leases do not explain, at the leases' mean cost", () => {
    // 4 leases at the reading's time (4 open − 1 opened since + 1 closed since); it shows 8: 4 are foreign.
    expect(estimateLoad(leases(), reading(), 10_000, p, 50)).toEqual({ requests: 8, tokens: 800 });
  });
  it("the foreign part halves every half-life and is dropped past the maximum age", () => {
    expect(estimateLoad(leases(), reading(), 10_000 + p.readingHalfLifeMs, p, 50)).toEqual({
      requests: 6,
      tokens: 600,
    });
    expect(estimateLoad(leases(), reading(), 10_001 + p.readingMaxAgeMs, p, 50)).toEqual({
      requests: 4,
      tokens: 400,
    });
  });
  it("a reading below the leases never lowers them; with no lease the request's own cost prices it", () => {
    expect(estimateLoad(leases(), reading({ waiting: 0, running: 1 }), 10_000, p, 50)).toEqual({
      requests: 4,
      tokens: 400,
    });
    const none = leases({ count: 0, tokens: 0, openedSinceReading: 0, closedSinceReading: 0 });
    expect(estimateLoad(none, reading(), 10_000, p, 50)).toEqual({ requests: 8, tokens: 400 });
  });
});

describe("expectedLatencyMs", () => {
  it("with a free slot, the request's own generation only", () => {
    expect(expectedLatencyMs({ requests: 7, tokens: 7_000 }, { slots: 8, tokensPerSecond: 30 }, 300)).toBe(10_000);
  });
  it("with every slot taken, plus the queue ahead (and half a request) drained over all slots", () => {
    // 10 open on 8 slots: 3 ahead of it, 2.5 × 100 tokens over 8 × 50 tok/s = 625 ms; its own 100 tokens: 2 s.
    expect(expectedLatencyMs({ requests: 10, tokens: 1_000 }, { slots: 8, tokensPerSecond: 50 }, 100)).toBe(2_625);
  });
  it("drain time: all the work and the request over the whole host's throughput", () => {
    expect(drainTimeMs({ requests: 10, tokens: 1_000 }, { slots: 8, tokensPerSecond: 50 }, 200)).toBe(3_000);
  });
});
