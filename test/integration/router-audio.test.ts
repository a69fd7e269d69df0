// Audio through the router with the official SDK: transcriptions and translations (multipart
// uploads streamed to the host, routed on the form's `model`), speech (audio bytes streamed back),
// each in the ledger with its kind, quantity and unit price; a budget spent on speech. The upload
// limit and hosts failing: router-audio-faults.test.ts.
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { wavFile } from "../../dev/mock-gpu/wav";
import { forAllHosts, rid, SPEECH, startAudioStack, WORDS, wav } from "../support/audio";
import { keyRows, limitedKey, limiterQuota } from "../support/limits";
import type { Stack } from "../support/stack";
import { usageRowFor } from "../support/usage";
import { waitFor } from "../support/wait";

let stack: Stack;
let client: OpenAI;
let offering: string;
beforeAll(async () => {
  stack = await startAudioStack();
  client = new OpenAI({ baseURL: stack.baseURL, apiKey: stack.tenant.memberKey, maxRetries: 0 });
  // Through the admin API: its own per-second price, the model's per-character one.
  const res = await stack.call("POST", "/offerings", {
    body: { code: "stt", model_id: stack.model, price_per_audio_second: "0.0002" },
  });
  expect(res.status).toBe(201);
  expect(await res.json()).toMatchObject({ price_per_audio_second: "0.000200", price_per_character: null });
  offering = `${stack.tenant.slug}/stt`;
});
afterAll(() => stack?.dispose());

describe("transcriptions and translations", () => {
  it("transcribe a WAV file on the model's host, metered by the host's seconds at the offering's price", async () => {
    const { data, response } = await client.audio.transcriptions
      .create({ model: offering, file: await wav() }, rid("stt-json-1"))
      .withResponse();
    expect(data.text).toBe(WORDS);
    const host = stack.hosts.find((h) => h.instance.id === response.headers.get("x-inventiv-instance"))!;
    // The host was asked for the Hugging Face id, not the offering's name.
    expect(host.gpu.stats().lastModels.at(-1)).toBe(stack.model);
    const row = await usageRowFor(stack, "stt-json-1");
    expect(row).toMatchObject({
      endpoint: "/v1/audio/transcriptions",
      kind: "transcription",
      status: "succeeded",
      organizationModelId: expect.any(String),
      audioSeconds: "3.000", // the mock reports whole seconds, rounded up
      inputCharacters: 0,
      inputTokens: 0,
      outputTokens: 0,
      usageEstimated: false,
      unitPriceInputPer1k: "0.000000",
      unitPriceOutputPer1k: "0.000000",
      unitPricePerAudioSecond: "0.000200",
      unitPricePerCharacter: "0.000000",
      chargedAmount: "0.00060000",
    });
  });

  it("meter the WAV header's duration when the host reports none", async () => {
    forAllHosts(stack, { omitUsage: true });
    try {
      const t = await client.audio.transcriptions.create({ model: stack.model, file: await wav() }, rid("stt-wav-1"));
      expect(t.text).toBe(WORDS);
    } finally {
      forAllHosts(stack, {});
    }
    expect(await usageRowFor(stack, "stt-wav-1")).toMatchObject({
      kind: "transcription",
      audioSeconds: "2.500",
      usageEstimated: false,
      unitPricePerAudioSecond: "0.000100",
      chargedAmount: "0.00025000",
    });
  });

  it("stream a transcript as SSE, its usage asked for and removed, the seconds from the file", async () => {
    const stream = await client.audio.transcriptions.create(
      { model: stack.model, stream: true, file: await wav() },
      rid("stt-sse-1"),
    );
    let text = "";
    const events: Record<string, unknown>[] = [];
    for await (const ev of stream as AsyncIterable<Record<string, unknown>>) {
      events.push(ev);
      const choices = ev.choices as { delta?: { content?: string } }[] | undefined;
      text += choices?.[0]?.delta?.content ?? "";
    }
    expect(text).toBe(WORDS);
    expect(events.length).toBe(5);
    expect(events.some((e) => "usage" in e)).toBe(false);
    expect(await usageRowFor(stack, "stt-sse-1")).toMatchObject({
      kind: "transcription",
      status: "succeeded",
      audioSeconds: "2.500",
      inputTokens: 125, // 50 audio tokens a second, from the usage chunk the router asked for
      outputTokens: 5,
      usageEstimated: false,
      chargedAmount: "0.00025000",
    });
  });

  it("translate, ledgered as a translation", async () => {
    const t = await client.audio.translations.create({ model: stack.model, file: await wav() }, rid("stt-tr-1"));
    expect(t.text).toBe(WORDS);
    expect(await usageRowFor(stack, "stt-tr-1")).toMatchObject({
      endpoint: "/v1/audio/translations",
      kind: "translation",
      audioSeconds: "3.000",
      chargedAmount: "0.00030000",
    });
  });
});

describe("speech", () => {
  it("streams the host's audio bytes back, metered per character in", async () => {
    const res = await client.audio.speech.create(
      { model: stack.model, input: SPEECH, voice: "alloy", response_format: "wav" },
      rid("tts-1"),
    );
    expect(res.headers.get("content-type")).toBe("audio/wav");
    const audio = Buffer.from(await res.arrayBuffer());
    expect(audio.equals(wavFile(26 * 0.06, SPEECH))).toBe(true);
    const row = await usageRowFor(stack, "tts-1");
    expect(row).toMatchObject({
      endpoint: "/v1/audio/speech",
      kind: "speech",
      status: "succeeded",
      inputCharacters: 26,
      audioSeconds: "0.000",
      inputTokens: 0,
      outputTokens: 0,
      usageEstimated: false,
      unitPricePerCharacter: "0.000015",
      unitPricePerAudioSecond: "0.000000",
      chargedAmount: "0.00039000",
    });
    expect(row.metadata.ttft_ms).toEqual(expect.any(Number));
  });
});

describe("limits", () => {
  it("a budget pays for speech by its characters: three served at 0.00039, the fourth insufficient_quota", async () => {
    const k = await limitedKey(stack, { budget: { amount: "0.001", period: "day" } });
    const limited = new OpenAI({ baseURL: stack.baseURL, apiKey: k.key, maxRetries: 0 });
    const say = () => limited.audio.speech.create({ model: stack.model, input: SPEECH, voice: "alloy" });
    for (let i = 0; i < 3; i++) await (await say()).arrayBuffer();
    await expect(say()).rejects.toMatchObject({ status: 429, code: "insufficient_quota" });
    await waitFor(async () => (await keyRows(stack, k.id)).length === 4, { timeoutMs: 10_000, what: "4 rows" });
    const rows = await keyRows(stack, k.id);
    expect(rows.map((r) => [r.status, r.chargedAmount]).sort()).toEqual([
      ["refused", "0.00000000"],
      ["succeeded", "0.00039000"],
      ["succeeded", "0.00039000"],
      ["succeeded", "0.00039000"],
    ]);
    await waitFor(async () => (await limiterQuota(stack, { kind: "key", id: k.id })).inflight === 0, {
      what: "all settled",
    });
    expect((await limiterQuota(stack, { kind: "key", id: k.id })).remainingBudget).toBe("-0.00017000");
  });
});
