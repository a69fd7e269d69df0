// Audio through the router with the official SDK: transcriptions and translations (multipart
// uploads streamed to the host, routed on the form's `model`), speech (audio bytes streamed back),
// each in the ledger with its kind, quantity and unit price; the upload limit; hosts failing.
import http from "node:http";
import OpenAI, { toFile } from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { wavFile } from "../../dev/mock-gpu/wav";
import { getInstance } from "../support/fleet";
import { keyRows, limitedKey, limiterQuota } from "../support/limits";
import { type Stack, startStack } from "../support/stack";
import { leasesInFlight, usageRowFor } from "../support/usage";
import { waitFor } from "../support/wait";

const WORDS = "the quick brown fox"; // 19 chars → 5 transcript tokens
const SPEECH = "Hello from the test suite!"; // 26 characters
const CAP = 2 * 1024 * 1024;

let stack: Stack;
let client: OpenAI;
let offering: string;
beforeAll(async () => {
  stack = await startStack({
    hosts: 2,
    pricePerAudioSecond: "0.0001",
    pricePerCharacter: "0.000015",
    vars: { AUDIO_MAX_BODY_BYTES: String(CAP) },
  });
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

/** 2.5 s of 24 kHz mono 16-bit audio carrying WORDS (the mock transcribes its own WAVs back). */
const wav = () => toFile(wavFile(2.5, WORDS), "speech.wav", { type: "audio/wav" });
const rid = (id: string) => ({ headers: { "X-Request-Id": id } });
/** The stack's two hosts (a test adds a third, gone at once). */
const forAllHosts = (faults: Parameters<Stack["hosts"][number]["gpu"]["setFaults"]>[0]) => {
  for (const h of stack.hosts.slice(0, 2)) h.gpu.setFaults(faults);
};

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
    forAllHosts({ omitUsage: true });
    try {
      const t = await client.audio.transcriptions.create({ model: stack.model, file: await wav() }, rid("stt-wav-1"));
      expect(t.text).toBe(WORDS);
    } finally {
      forAllHosts({});
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

/** A form sent as the client chooses: `model` first or last, chunked (no Content-Length) or not. */
function form(model: string, file: Uint8Array, order: "model-first" | "file-first" = "model-first"): Uint8Array[] {
  const b = "----audio-test-boundary";
  const field = `--${b}\r\nContent-Disposition: form-data; name="model"\r\n\r\n${model}\r\n`;
  const fileHead = `--${b}\r\nContent-Disposition: form-data; name="file"; filename="a.wav"\r\nContent-Type: audio/wav\r\n\r\n`;
  const enc = (s: string) => new TextEncoder().encode(s);
  return order === "model-first"
    ? [enc(field + fileHead), file, enc(`\r\n--${b}--\r\n`)]
    : [enc(fileHead), file, enc(`\r\n${field}--${b}--\r\n`)];
}
const FORM_TYPE = "multipart/form-data; boundary=----audio-test-boundary";

/** POSTs the pieces in 64 KiB chunks without a Content-Length. */
function postChunked(pieces: Uint8Array[], requestId: string): Promise<Response> {
  const chunks = pieces.flatMap((p) =>
    Array.from({ length: Math.ceil(p.length / 65536) }, (_, i) => p.subarray(i * 65536, (i + 1) * 65536)),
  );
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      const next = chunks.shift();
      if (next) controller.enqueue(next);
      else controller.close();
    },
  });
  return fetch(`${stack.baseURL}/audio/transcriptions`, {
    method: "POST",
    headers: {
      authorization: `Bearer ${stack.tenant.memberKey}`,
      "content-type": FORM_TYPE,
      "x-request-id": requestId,
    },
    body,
    duplex: "half",
  } as RequestInit);
}

const requestsSeen = () => stack.hosts.slice(0, 2).reduce((n, h) => n + h.gpu.stats().requests, 0);

describe("limits and failures", () => {
  it("answers 413 beyond AUDIO_MAX_BODY_BYTES: declared, before any host; streamed, once the limit passes", async () => {
    const before = requestsSeen();
    const big = await toFile(Buffer.alloc(CAP + 1), "big.wav", { type: "audio/wav" });
    const declared = client.audio.transcriptions.create({ model: stack.model, file: big });
    await expect(declared).rejects.toMatchObject({ status: 413, code: "request_too_large" });
    expect(requestsSeen()).toBe(before);

    const res = await postChunked(form(stack.model, wavFile(30)), "stt-413-chunked");
    // 30 s at 48 kB/s: 1.44 MB fits; 45 s does not.
    expect(res.status).toBe(200);
    const over = await postChunked(form(stack.model, wavFile(45)), "stt-413-chunked-over");
    expect(over.status, await over.clone().text()).toBe(413);
    expect(((await over.json()) as { error: { code: string } }).error.code).toBe("request_too_large");
    const row = await usageRowFor(stack, "stt-413-chunked-over");
    expect(row).toMatchObject({ status: "failed", audioSeconds: "0.000", chargedAmount: "0.00000000" });
    expect(row.metadata.http_status).toBe(413);
  });

  it("answers 400 model_after_file when the file comes first, without calling a host", async () => {
    const before = requestsSeen();
    const res = await postChunked(form(stack.model, wavFile(1), "file-first"), "stt-order-1");
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: unknown }).error).toMatchObject({
      code: "model_after_file",
      param: "model",
    });
    expect(requestsSeen()).toBe(before);
    const anon = await fetch(`${stack.baseURL}/audio/transcriptions`, { method: "POST", body: "x" });
    expect(anon.status).toBe(401);
  });

  it("fails over from a host that resets the connection, sending the upload again from its start", async () => {
    const [refusing, other] = stack.hosts as [Stack["hosts"][0], Stack["hosts"][0]];
    // The other host looks busy, so the refusing one is tried first.
    other.gpu.setReportedQueueDepth(50);
    await other.gpu.heartbeatNow();
    refusing.gpu.setFaults({ refuse: true });
    try {
      // 120 kB: all of it within the 128 KiB the router keeps, however much the reset connection took.
      const { data, response } = await client.audio.transcriptions
        .create({ model: stack.model, file: await wav() }, rid("stt-failover-1"))
        .withResponse();
      expect(data.text).toBe(WORDS);
      expect(response.headers.get("x-inventiv-instance")).toBe(other.instance.id);
    } finally {
      refusing.gpu.setFaults({});
      other.gpu.setReportedQueueDepth(undefined);
      await other.gpu.heartbeatNow();
    }
    const row = await usageRowFor(stack, "stt-failover-1");
    expect(row).toMatchObject({ status: "succeeded", instanceId: other.instance.id, audioSeconds: "3.000" });
    expect(row.metadata.attempts).toBe(2);
  });

  it("fails over from a host whose port is closed, a file larger than what the router keeps", async () => {
    const busy = [...stack.hosts];
    for (const h of busy) h.gpu.setReportedQueueDepth(50);
    await Promise.all(busy.map((h) => h.gpu.heartbeatNow()));
    // An idle third host, tried first, gone before the request: its connection is refused.
    const gone = await stack.addHost();
    await gone.gpu.close();
    try {
      // 480 kB, more than the 128 KiB kept: a refused connection took one chunk of it.
      const file = await toFile(wavFile(10, WORDS), "long.wav", { type: "audio/wav" });
      const t = await client.audio.transcriptions.create({ model: stack.model, file }, rid("stt-failover-2"));
      expect(t.text).toBe(WORDS);
    } finally {
      expect((await stack.call("DELETE", `/instances/${gone.instance.id}`)).status).toBe(200);
      for (const h of busy) h.gpu.setReportedQueueDepth(undefined);
      await Promise.all(busy.map((h) => h.gpu.heartbeatNow()));
    }
    const row = await usageRowFor(stack, "stt-failover-2");
    expect(row).toMatchObject({ status: "succeeded", audioSeconds: "10.000" });
    expect(busy.map((h) => h.instance.id)).toContain(row.instanceId);
    expect(row.metadata.attempts).toBe(2);
  });

  it("hosts that die after taking the upload: 502, failed rows, nothing charged; retried only within the replay window", async () => {
    forAllHosts({ cutAfterTokens: 1 });
    try {
      // 120 kB: within the 128 KiB the router keeps, so it is sent again to the other host (which dies too).
      const small = client.audio.transcriptions.create({ model: stack.model, file: await wav() }, rid("stt-cut-1"));
      await expect(small).rejects.toMatchObject({ status: 502, code: "upstream_unreachable" });
      // 480 kB: past the window, the first host's failure is final.
      const file = await toFile(wavFile(10, WORDS), "long.wav", { type: "audio/wav" });
      const big = client.audio.transcriptions.create({ model: stack.model, file }, rid("stt-cut-2"));
      await expect(big).rejects.toMatchObject({ status: 502, code: "upstream_unreachable" });
    } finally {
      forAllHosts({});
    }
    for (const [id, attempts] of [
      ["stt-cut-1", 2],
      ["stt-cut-2", 1],
    ] as const) {
      const row = await usageRowFor(stack, id);
      expect(row).toMatchObject({ status: "failed", audioSeconds: "0.000", chargedAmount: "0.00000000" });
      expect(row.metadata.attempts).toBe(attempts);
    }
  });

  it("a client that leaves mid-upload: a failed row, nothing charged, the host not blamed", async () => {
    const pieces = form(stack.model, wavFile(20));
    const length = pieces.reduce((n, p) => n + p.length, 0);
    const url = new URL(`${stack.baseURL}/audio/transcriptions`);
    const req = http.request(url, {
      method: "POST",
      headers: {
        authorization: `Bearer ${stack.tenant.memberKey}`,
        "content-type": FORM_TYPE,
        "content-length": length,
        "x-request-id": "stt-client-gone-1",
      },
    });
    req.on("error", () => {});
    // The head and 256 KiB of the file: the router has chosen a host and is sending it the upload.
    req.write(pieces[0]!);
    req.write(pieces[1]!.subarray(0, 256 * 1024));
    await waitFor(async () => (await leasesInFlight(stack)) === 1, { what: "the upload's lease" });
    req.destroy();
    const row = await usageRowFor(stack, "stt-client-gone-1");
    expect(row).toMatchObject({ status: "failed", audioSeconds: "0.000", chargedAmount: "0.00000000" });
    expect(row.metadata.http_status).toBe(400);
    const host = (await getInstance(stack, row.instanceId!)).live;
    expect(host?.consecutive_failures).toBe(0);
  });

  it("speech cut mid-way: the client's read fails, a failed row, nothing charged", async () => {
    forAllHosts({ cutAfterTokens: 2 });
    try {
      const { data, response } = await client.audio.speech
        .create({ model: stack.model, input: SPEECH, voice: "alloy", response_format: "wav" }, rid("tts-cut-1"))
        .withResponse();
      expect(response.status).toBe(200);
      await expect(data.arrayBuffer()).rejects.toThrow();
    } finally {
      forAllHosts({});
    }
    const row = await usageRowFor(stack, "tts-cut-1");
    expect(row).toMatchObject({
      kind: "speech",
      status: "failed",
      inputCharacters: 0,
      chargedAmount: "0.00000000",
    });
    expect(row.metadata.error).toBe("upstream connection lost");
  });
});
