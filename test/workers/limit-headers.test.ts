// What a limited key's responses carry: OpenAI's x-ratelimit-* headers and reset format, and the 429s in
// OpenAI's shape (rate_limit_exceeded, insufficient_quota) with Retry-After in whole seconds.
import { describe, expect, it } from "vitest";
import { formatReset, rateLimitHeaders, refusalError } from "../../worker/limits/headers";
import type { Quota } from "../../worker/limits/policy";

const quota: Quota = {
  limitRequests: 30,
  remainingRequests: 0,
  resetRequestsMs: 1_400,
  limitTokens: 10_000,
  remainingTokens: 250,
  resetTokensMs: 360_000,
  inflight: 2,
  remainingBudget: null,
};

describe("formatReset", () => {
  it.each([
    [0, "0s"],
    [-5, "0s"],
    [250, "250ms"],
    [999.2, "1000ms"],
    [1_000, "1s"],
    [1_400, "2s"],
    [59_001, "1m0s"],
    [360_000, "6m0s"],
    [3_605_000, "1h0m5s"],
  ])("writes %d ms as %s", (ms, text) => {
    expect(formatReset(ms)).toBe(text);
  });
});

describe("rateLimitHeaders", () => {
  it("writes both trios for a key with rpm and tpm, neither without them", () => {
    expect(rateLimitHeaders(quota)).toEqual({
      "x-ratelimit-limit-requests": "30",
      "x-ratelimit-remaining-requests": "0",
      "x-ratelimit-reset-requests": "2s",
      "x-ratelimit-limit-tokens": "10000",
      "x-ratelimit-remaining-tokens": "250",
      "x-ratelimit-reset-tokens": "6m0s",
    });
    const none = { ...quota, limitRequests: null, limitTokens: null };
    expect(rateLimitHeaders(none)).toEqual({});
  });
});

describe("refusalError", () => {
  it("is a 429 rate_limit_exceeded of type requests for rpm, with Retry-After rounded up", () => {
    const err = refusalError({ ok: false, reason: "requests", retryAfterMs: 1_400, quota }, "key", { rpm: 30 }, 12);
    expect(err.status).toBe(429);
    expect(err.body()).toEqual({
      error: {
        message:
          "Rate limit reached for requests per minute (RPM) of this API key: limit 30, used 30. Please try again in 2s.",
        type: "requests",
        param: null,
        code: "rate_limit_exceeded",
      },
    });
    expect(err.headers["retry-after"]).toBe("2");
    expect(err.headers["x-ratelimit-remaining-requests"]).toBe("0");
  });

  it("names tokens used and asked for tpm, the organization when it refused, and concurrency", () => {
    const tokens = refusalError(
      { ok: false, reason: "tokens", retryAfterMs: 30_000, quota },
      "org",
      { tpm: 10_000 },
      800,
    );
    expect(tokens.body().error).toMatchObject({ type: "tokens", code: "rate_limit_exceeded" });
    expect(tokens.message).toBe(
      "Rate limit reached for tokens per minute (TPM) of your organization: limit 10000, used 9750, requested 800. Please try again in 30s.",
    );
    const busy = refusalError(
      { ok: false, reason: "concurrency", retryAfterMs: 1_000, quota },
      "key",
      { maxConcurrent: 2 },
      1,
    );
    expect(busy.body().error).toMatchObject({ type: "requests", code: "rate_limit_exceeded" });
    expect(busy.headers["retry-after"]).toBe("1");
  });

  it("is insufficient_quota for a spent budget, with Retry-After until the period renews", () => {
    const err = refusalError(
      { ok: false, reason: "budget", retryAfterMs: 3_600_000, quota: { ...quota, remainingBudget: "-0.1" } },
      "key",
      { budget: { amount: "5", period: "day" } },
      1,
    );
    expect(err.status).toBe(429);
    expect(err.body().error).toEqual({
      message: "You exceeded your current quota: the day budget of this API key (5) is spent. It renews in 1h0m0s.",
      type: "insufficient_quota",
      param: null,
      code: "insufficient_quota",
    });
    expect(err.headers["retry-after"]).toBe("3600");
  });
});
