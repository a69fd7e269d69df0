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
      pricePerAudioSecond: "0.0001",
      pricePerCharacter: "0.000015",
    },
    offering: null,
    priceInputPer1k: "0.5",
    priceOutputPer1k: "1.5",
    pricePerAudioSecond: "0.0001",
    pricePerCharacter: "0.000015",
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
const ended = (relay: Partial<RelayEnd>, httpStatus = 200, metered: MeteredRequest = req) =>
  usageEventFor(metered, {
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

describe("usageEventFor, audio", () => {
  const transcription: MeteredRequest = {
    ...req,
    endpoint: "/v1/audio/transcriptions",
    kind: "transcription",
    audio: () => ({ audioMs: 2_500, estimated: false }),
  };
  const speech: MeteredRequest = {
    ...req,
    endpoint: "/v1/audio/speech",
    kind: "speech",
    audio: () => ({ inputCharacters: 26, estimated: false }),
  };
  it("prices a transcription by the host's seconds, else the file's, and never by tokens", () => {
    const host = ended({ usage: { inputTokens: 0, outputTokens: 0, audioMs: 3_000 } }, 200, transcription);
    expect(host).toMatchObject({ kind: "transcription", audioMs: 3_000, inputCharacters: 0, estimated: false });
    expect(host).toMatchObject({ priceInputPer1k: "0", priceOutputPer1k: "0", pricePerAudioSecond: "0.0001" });
    expect(host.pricePerCharacter).toBe("0");
    const file = ended({ usage: { inputTokens: 125, outputTokens: 7 } }, 200, transcription);
    expect(file).toMatchObject({ audioMs: 2_500, inputTokens: 125, outputTokens: 7, estimated: false });
    const guessed = ended({}, 200, { ...transcription, audio: () => ({ audioMs: 1_000, estimated: true }) });
    expect(guessed).toMatchObject({ audioMs: 1_000, inputTokens: 0, outputTokens: 0, estimated: true });
  });
  it("prices speech by the characters in", () => {
    expect(ended({}, 200, speech)).toMatchObject({
      kind: "speech",
      inputCharacters: 26,
      audioMs: 0,
      inputTokens: 0,
      estimated: false,
      pricePerCharacter: "0.000015",
      pricePerAudioSecond: "0",
    });
  });
  it("charges no audio that failed, was aborted or was refused", () => {
    for (const [relay, status] of [
      [{ outcome: "failed" as const, error: "cut" }, 200],
      [{ outcome: "aborted" as const }, 200],
      [{}, 400],
    ] as const) {
      expect(ended(relay, status, transcription)).toMatchObject({ audioMs: 0, inputTokens: 0, estimated: false });
      expect(ended(relay, status, speech)).toMatchObject({ inputCharacters: 0, estimated: false });
    }
  });
});

describe("usageFromWire", () => {
  it("reads a transcription's duration usage as milliseconds of audio", () => {
    expect(usageFromWire({ type: "duration", seconds: 3 })).toEqual({
      inputTokens: 0,
      outputTokens: 0,
      audioMs: 3_000,
    });
    expect(usageFromWire({ type: "duration", seconds: 1.2345 })).toMatchObject({ audioMs: 1_235 });
    for (const bad of [{ type: "duration", seconds: -1 }, { type: "duration", seconds: "3" }, { type: "duration" }])
      expect(usageFromWire(bad)).toBeNull();
  });

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
