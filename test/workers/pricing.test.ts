import { describe, expect, it } from "vitest";
import { chargedAmount, estimateTokens } from "../../worker/usage/event";

describe("chargedAmount", () => {
  it("prices tokens per 1k exactly", () => {
    expect(chargedAmount({ inputTokens: 1000, outputTokens: 1000 }, "0.0005", "0.0015")).toBe("0.00200000");
    expect(chargedAmount({ inputTokens: 7, outputTokens: 3 }, "0.0005", "0.0015")).toBe("0.00000800");
    expect(chargedAmount({ inputTokens: 0, outputTokens: 0 }, "1", "2")).toBe("0.00000000");
    expect(chargedAmount({ inputTokens: 123_456_789, outputTokens: 0 }, "12.345678", "0")).toBe("1524157.76390794");
  });
  it("rounds half up at the eighth decimal", () => {
    expect(chargedAmount({ inputTokens: 1, outputTokens: 0 }, "0.000015", "0")).toBe("0.00000002");
    expect(chargedAmount({ inputTokens: 1, outputTokens: 0 }, "0.000014", "0")).toBe("0.00000001");
  });
});

describe("estimateTokens", () => {
  it("counts about four characters a token", () => {
    expect([0, 1, 4, 5, 400].map(estimateTokens)).toEqual([0, 1, 1, 2, 100]);
  });
});
