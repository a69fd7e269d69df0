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

describe("chargedAmount, audio", () => {
  const none = { inputTokens: 0, outputTokens: 0 };
  it("prices milliseconds of audio per second and characters per character, exactly", () => {
    expect(chargedAmount({ ...none, audioMs: 2_500 }, "0", "0", { pricePerAudioSecond: "0.0001" })).toBe("0.00025000");
    expect(chargedAmount({ ...none, audioMs: 1 }, "0", "0", { pricePerAudioSecond: "0.000015" })).toBe("0.00000002");
    expect(chargedAmount({ ...none, inputCharacters: 26 }, "0", "0", { pricePerCharacter: "0.000015" })).toBe(
      "0.00039000",
    );
    // The largest quantities at the largest prices still fit numeric(24, 8).
    const max = 2 ** 31 - 1;
    const most = chargedAmount(
      { inputTokens: max, outputTokens: max, audioMs: max, inputCharacters: max },
      "999999.999999",
      "999999.999999",
      {
        pricePerAudioSecond: "999999.999999",
        pricePerCharacter: "999999.999999",
      },
    );
    expect(most.split(".")[0]!.length).toBeLessThanOrEqual(16);
  });
});

describe("estimateTokens", () => {
  it("counts about four characters a token", () => {
    expect([0, 1, 4, 5, 400].map(estimateTokens)).toEqual([0, 1, 1, 2, 100]);
  });
});
