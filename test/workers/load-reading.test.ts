import { describe, expect, it } from "vitest";
import { defaultSaturation, fresher, isSaturated, type LoadReading } from "../../worker/routing/load-reading";

const reading = (o: Partial<LoadReading> = {}): LoadReading => ({
  waiting: 0,
  running: 0,
  kvUsage: 0,
  at: 1000,
  source: "probe",
  ...o,
});

describe("fresher", () => {
  it("keeps the newer sample, whichever side sent it", () => {
    const probe = reading({ at: 2000, waiting: 3 });
    const beat = reading({ at: 1500, source: "heartbeat", waiting: 9 });
    expect(fresher(probe, beat)).toBe(probe);
    expect(fresher(beat, probe)).toBe(probe);
    expect(fresher(null, beat)).toBe(beat);
  });
});

describe("isSaturated (waiting ≥ 5 or KV ≥ 0.8 by default)", () => {
  it("at the thresholds exactly, not below", () => {
    expect(isSaturated(reading({ waiting: 4, kvUsage: 0.79 }), defaultSaturation)).toBe(false);
    expect(isSaturated(reading({ waiting: 5 }), defaultSaturation)).toBe(true);
    expect(isSaturated(reading({ kvUsage: 0.8 }), defaultSaturation)).toBe(true);
  });
  it("unknown KV or no reading is not saturated; thresholds are configurable", () => {
    expect(isSaturated(reading({ kvUsage: null, waiting: 1 }), defaultSaturation)).toBe(false);
    expect(isSaturated(null, defaultSaturation)).toBe(false);
    expect(isSaturated(reading({ waiting: 2 }), { maxWaiting: 2, maxKvUsage: 1 })).toBe(true);
  });
});
