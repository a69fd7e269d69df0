// The load suite's limits scenario judges a run by the chats served per sliding minute: its counting and
// its verdicts, on made-up figures.
import { describe, expect, it } from "vitest";
import { busiestWindow, LimitTracker, limitOutcomes } from "../../load/limits";

describe("busiestWindow", () => {
  it("counts the most times within any [t, t + 60 s), the window's end excluded", () => {
    expect(busiestWindow([])).toBe(0);
    expect(busiestWindow([0, 59_999, 60_000])).toBe(2);
    expect(busiestWindow([120_000, 0, 30_000, 60_000, 89_999])).toBe(3);
    expect(busiestWindow(Array.from({ length: 100 }, (_, i) => i * 1_000))).toBe(60);
  });
});

describe("the limits scenario's verdicts", () => {
  it("passes 429s without 5xx within 1 % of the limit, and fails each way", () => {
    const run = (served: number[], statuses: number[]) => {
      const t = new LimitTracker(100, "key");
      for (const at of served) t.note(at, 200);
      for (const s of statuses) t.note(0, s);
      return limitOutcomes(t.result()).map((o) => o.verdict);
    };
    const minute = (n: number) => Array.from({ length: n }, (_, i) => i * 10);
    expect(run(minute(101), [429])).toEqual(["pass", "pass", "pass"]);
    expect(run(minute(102), [429])).toEqual(["pass", "pass", "fail"]);
    expect(run(minute(50), [])).toEqual(["fail", "pass", "pass"]);
    expect(run(minute(50), [429, 503])).toEqual(["pass", "fail", "pass"]);
  });
});
