// Learning a host's capacity from what the router sees: slots from readings that show a queue, the decode
// rate from completed streams, and what the policy counts with before anything is known.
import { describe, expect, it } from "vitest";
import { capacityOf, learnRate, learnSlots, unknownCapacity } from "../../worker/routing/capacity";

describe("learned capacity", () => {
  it("knows nothing until a host queues or a stream completes", () => {
    const c = unknownCapacity();
    learnSlots(c, { waiting: 0, running: 12 });
    learnRate(c, { outputTokens: 7, decodeMs: 100 });
    learnRate(c, { outputTokens: 100, decodeMs: 0 });
    expect(capacityOf(c)).toEqual({});
  });

  it("takes the slot count from a reading with requests waiting, the largest one seen", () => {
    const c = unknownCapacity();
    learnSlots(c, { waiting: 3, running: 8 });
    expect(capacityOf(c)).toEqual({ slots: 8 });
    learnSlots(c, { waiting: 1, running: 6 });
    learnSlots(c, { waiting: 0, running: 2 });
    expect(c.slots).toBe(8);
    learnSlots(c, { waiting: 2, running: 16 });
    expect(c.slots).toBe(16);
  });

  it("averages the decode rate, a new sample weighing a fifth", () => {
    const c = unknownCapacity();
    learnRate(c, { outputTokens: 100, decodeMs: 2_000 });
    expect(capacityOf(c)).toEqual({ tokensPerSecond: 50 });
    learnRate(c, { outputTokens: 100, decodeMs: 1_000 });
    expect(c.tokensPerSecond).toBeCloseTo(60, 9);
  });

  it("counts the operator's max_num_seqs over the slots it saw", () => {
    const c = { ...unknownCapacity(), declaredSlots: 32 };
    learnSlots(c, { waiting: 2, running: 16 });
    expect(capacityOf(c)).toEqual({ slots: 32 });
  });
});
