// The simulated host's Responses API, audio, tokenization, score and rerank, driven by the
// official openai SDK where it has a method and raw HTTP where it has none: vLLM's shapes.
import OpenAI, { BadRequestError, NotFoundError, toFile } from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type MockGpu, startMockGpu } from "../../dev/mock-gpu/server";
import { wavFile, wavSeconds } from "../../dev/mock-gpu/wav";

const MODEL = "Qwen/Qwen2.5-0.5B-Instruct";
const MSG = "Hello from the test suite!"; // 26 chars → 7 tokens

let gpu: MockGpu;
let other: MockGpu;
let client: OpenAI;
beforeAll(async () => {
  [gpu, other] = await Promise.all([startMockGpu({ model: MODEL }), startMockGpu({ model: MODEL })]);
  client = new OpenAI({ baseURL: `${gpu.url}/v1`, apiKey: "unused", maxRetries: 0 });
});
afterAll(() => Promise.all([gpu.close(), other.close()]));

const post = (url: string, body: unknown) =>
  fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });

describe("Responses API", () => {
  it("creates, retrieves, follows up on and deletes a response kept on its host", async () => {
    const r = await client.responses.create({ model: MODEL, input: MSG });
    expect(r.id).toMatch(/^resp_[0-9a-f]{32}$/);
    expect(r.status).toBe("completed");
    expect(r.output_text).toBe(MSG);
    expect(r.usage).toMatchObject({ input_tokens: 7, output_tokens: 7, total_tokens: 14 });
    expect((await client.responses.retrieve(r.id)).output_text).toBe(MSG);

    // The follow-up's prompt holds the previous turn (26 + 26 chars) and the new input (2 chars).
    const next = await client.responses.create({ model: MODEL, input: "Hi", previous_response_id: r.id });
    expect(next.previous_response_id).toBe(r.id);
    expect(next.usage).toMatchObject({ input_tokens: 14, output_tokens: 1 });

    // Another host has no memory of it: vLLM's 404.
    const elsewhere = await post(`${other.url}/v1/responses`, { model: MODEL, input: "x", previous_response_id: r.id });
    expect(elsewhere.status).toBe(404);
    expect(await elsewhere.json()).toEqual({
      error: {
        message: `Response with id '${r.id}' not found.`,
        type: "invalid_request_error",
        param: null,
        code: 404,
      },
    });

    await client.responses.delete(r.id);
    await expect(client.responses.retrieve(r.id)).rejects.toBeInstanceOf(NotFoundError);
  });

  it("takes the router's request_id as the response id", async () => {
    const res = await post(`${gpu.url}/v1/responses`, { model: MODEL, input: MSG, request_id: "resp_chosen" });
    expect(((await res.json()) as { id: string }).id).toBe("resp_chosen");
  });

  it("streams typed response.* events, usage in response.completed, and no [DONE]", async () => {
    const stream = await client.responses.create({ model: MODEL, input: MSG, stream: true });
    const types: string[] = [];
    let text = "";
    let usage: unknown;
    for await (const ev of stream) {
      types.push(ev.type);
      if (ev.type === "response.output_text.delta") text += ev.delta;
      if (ev.type === "response.completed") usage = ev.response.usage;
    }
    expect(text).toBe(MSG);
    expect(types.slice(0, 4)).toEqual([
      "response.created",
      "response.in_progress",
      "response.output_item.added",
      "response.content_part.added",
    ]);
    expect(types.slice(-4)).toEqual([
      "response.output_text.done",
      "response.content_part.done",
      "response.output_item.done",
      "response.completed",
    ]);
    expect(types.filter((t) => t === "response.output_text.delta")).toHaveLength(7);
    expect(usage).toMatchObject({ input_tokens: 7, output_tokens: 7 });
  });

  it("cancels a background response and refuses to cancel a finished one", async () => {
    const slow = await startMockGpu({ model: MODEL, ttftMs: 2000 });
    try {
      const c = new OpenAI({ baseURL: `${slow.url}/v1`, apiKey: "unused", maxRetries: 0 });
      const queued = await c.responses.create({ model: MODEL, input: MSG, background: true });
      expect(queued.status).toBe("queued");
      expect((await c.responses.cancel(queued.id)).status).toBe("cancelled");
      const again = c.responses.cancel(queued.id);
      await expect(again).rejects.toBeInstanceOf(BadRequestError);
      await expect(again).rejects.toMatchObject({
        message: expect.stringContaining("Cannot cancel a synchronous response."),
      });
    } finally {
      await slow.close();
    }
  });
});

describe("audio", () => {
  it("transcribes a WAV with its duration as usage, and streams transcription.chunk events", async () => {
    const wav = wavFile(2.5);
    expect(wavSeconds(wav)).toBe(2.5);
    const t = await client.audio.transcriptions.create({ model: MODEL, file: await toFile(wav, "a.wav") });
    expect(t.text).toBe("(2.50 seconds of audio)");
    expect((t as unknown as { usage: unknown }).usage).toEqual({ type: "duration", seconds: 3 });

    const stream = await client.audio.transcriptions.create({
      model: MODEL,
      file: await toFile(wav, "a.wav"),
      stream: true,
      stream_include_usage: true,
    } as Parameters<typeof client.audio.transcriptions.create>[0] & { stream: true });
    const chunks: Record<string, unknown>[] = [];
    for await (const ev of stream) chunks.push(ev as unknown as Record<string, unknown>);
    expect(chunks[0]).toMatchObject({ object: "transcription.chunk", choices: [{ delta: { content: "(2.5" } }] });
    expect(chunks.at(-1)).toMatchObject({ choices: [], usage: { prompt_tokens: 125, completion_tokens: 6 } });
  });

  it("speaks a WAV that its own transcription reads back, streamed in pieces", async () => {
    const speech = await client.audio.speech.create({ model: MODEL, input: "Hello there", voice: "alloy" });
    expect(speech.headers.get("content-type")).toBe("audio/wav");
    const audio = Buffer.from(await speech.arrayBuffer());
    expect(audio.toString("ascii", 0, 4)).toBe("RIFF");
    expect(wavSeconds(audio)).toBeCloseTo(0.66, 5);
    const back = await client.audio.translations.create({ model: MODEL, file: await toFile(audio, "s.wav") });
    expect(back.text).toBe("Hello there");
  });

  it("answers a body that is not multipart with vLLM's 400", async () => {
    const res = await post(`${gpu.url}/v1/audio/transcriptions`, { model: MODEL });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { type: string } }).error.type).toBe("BadRequestError");
  });
});

describe("tokenize, score, rerank", () => {
  it("tokenizes and detokenizes back", async () => {
    const t = (await (await post(`${gpu.url}/tokenize`, { model: MODEL, prompt: MSG })).json()) as {
      count: number;
      max_model_len: number;
      tokens: number[];
    };
    expect(t.count).toBe(7);
    expect(t.max_model_len).toBe(32768);
    const d = await (await post(`${gpu.url}/detokenize`, { model: MODEL, tokens: t.tokens })).json();
    expect(d).toEqual({ prompt: MSG });
  });

  it("scores pairs and reranks documents by relevance", async () => {
    const s = (await (
      await post(`${gpu.url}/v1/score`, { model: MODEL, text_1: "red apple", text_2: ["an apple", "red apple pie"] })
    ).json()) as { object: string; data: { index: number; score: number }[] };
    expect(s.object).toBe("list");
    expect(s.data.map((d) => d.score)).toEqual([0.5, 1]);
    const r = (await (
      await post(`${gpu.url}/rerank`, {
        model: MODEL,
        query: "red apple",
        documents: ["pear", "red apple", "apple"],
        top_n: 2,
      })
    ).json()) as { results: { index: number; relevance_score: number }[]; usage: { total_tokens: number } };
    expect(r.results).toEqual([
      { index: 1, document: { text: "red apple" }, relevance_score: 1 },
      { index: 2, document: { text: "apple" }, relevance_score: 0.5 },
    ]);
    expect(r.usage.total_tokens).toBe(3 * 3 + 1 + 3 + 2);
  });
});
