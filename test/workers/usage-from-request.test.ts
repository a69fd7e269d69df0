// Which status and tokens a finished request is metered with.
import { describe, expect, it } from "vitest";
import type { RelayEnd } from "../../worker/proxy/relay";
import { usageFromWire } from "../../worker/usage/event";
import { type MeteredRequest, usageEventFor } from "../../worker/usage/from-request";

const req: MeteredRequest = {
  requestId: "client-id",
  ledgerId: "ledger-id",
  endpoint: "/v1/chat/completions",
  promptChars: 40,
  resolved: {
    model: {
      id: "m-uuid",
      hfId: "Qwen/Qwen2.5-0.5B-Instruct",
      isActive: true,
      priceInputPer1k: "0.5",
      priceOutputPer1k: "1.5",
    },
    offering: null,
    priceInputPer1k: "0.5",
    priceOutputPer1k: "1.5",
  },
  caller: {
    apiKeyId: "k",
    organizationId: "o",
    organizationSlug: "demo",
    role: "member",
    platform: false,
    models: null,
    expiresAt: null,
    keyLimits: null,
    orgLimits: null,
  },
  sessionKey: "s",
};
const ended = (relay: Partial<RelayEnd>, httpStatus = 200) =>
  usageEventFor(req, {
    instanceId: "i",
    httpStatus,
    attempts: 1,
    startedAt: 1_000,
    endedAt: 1_250,
    relay: { outcome: "completed", usage: null, outputChars: 0, error: null, ...relay },
  });

describe("usageEventFor", () => {
  it("records the host's usage for a completed request, keyed by the ledger id", () => {
    expect(ended({ usage: { inputTokens: 7, outputTokens: 3 } })).toMatchObject({
      requestId: "ledger-id",
      clientRequestId: "client-id",
      status: "succeeded",
      inputTokens: 7,
      outputTokens: 3,
      estimated: false,
      durationMs: 250,
      sessionKey: "s",
    });
  });
  it("estimates usage the host did not report, and says so", () => {
    expect(ended({ outputChars: 9 })).toMatchObject({ inputTokens: 10, outputTokens: 3, estimated: true });
  });
  it("counts cut streams as failed and client aborts as aborted, with the tokens seen so far", () => {
    expect(ended({ outcome: "failed", outputChars: 8, error: "cut" })).toMatchObject({
      status: "failed",
      outputTokens: 2,
      error: "cut",
    });
    expect(ended({ outcome: "aborted", outputChars: 4 })).toMatchObject({ status: "aborted", outputTokens: 1 });
  });
  it("charges nothing for a host's error answer", () => {
    expect(ended({}, 400)).toMatchObject({
      status: "failed",
      inputTokens: 0,
      outputTokens: 0,
      estimated: false,
      httpStatus: 400,
    });
  });
});

describe("usageFromWire", () => {
  it("trusts only whole, non-negative token counts from a host", () => {
    expect(usageFromWire({ prompt_tokens: 12, completion_tokens: 3, total_tokens: 15 })).toEqual({
      inputTokens: 12,
      outputTokens: 3,
    });
    expect(usageFromWire({ prompt_tokens: 12 })).toEqual({ inputTokens: 12, outputTokens: 0 }); // embeddings
    for (const bad of [
      { prompt_tokens: 1.5 },
      { prompt_tokens: "12" },
      { prompt_tokens: -1 },
      { prompt_tokens: 2, completion_tokens: Number.POSITIVE_INFINITY },
      {},
      null,
      "x",
    ]) {
      expect(usageFromWire(bad)).toBeNull();
    }
  });
});
