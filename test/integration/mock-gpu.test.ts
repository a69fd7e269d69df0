// The simulated GPU host against the official openai SDK and raw HTTP: vLLM shapes, validation
// errors, health and metrics. Its faults and timing are in mock-gpu-faults.test.ts, its heartbeat
// agent in mock-gpu-agent.test.ts.
import OpenAI, { NotFoundError } from "openai";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type MockGpu, startMockGpu } from "../../dev/mock-gpu/server";
import { chatBody, events, MODEL, MSG } from "../support/mock-gpu";
import { waitFor } from "../support/wait";

let gpu: MockGpu;
let client: OpenAI;
beforeAll(async () => {
  gpu = await startMockGpu({ model: MODEL, port: 0 });
  client = new OpenAI({ baseURL: `${gpu.url}/v1`, apiKey: "unused", maxRetries: 0 });
});
afterAll(() => gpu.close());
afterEach(() => fetch(`${gpu.url}/_mock/reset`, { method: "POST" }).then(() => undefined));

const post = (path: string, body: string, init: RequestInit = {}): Promise<Response> =>
  fetch(`${gpu.url}${path}`, { method: "POST", body, headers: { "content-type": "application/json" }, ...init });

describe("vLLM OpenAI API through the openai SDK", () => {
  it("answers a chat with the echoed message and deterministic usage", async () => {
    // The system message's 9 chars count in the prompt but are not echoed.
    const messages = [
      { role: "system" as const, content: "Be brief." },
      { role: "user" as const, content: MSG },
    ];
    const r = await client.chat.completions.create(
      { model: MODEL, messages },
      { headers: { "x-request-id": "req-42" } },
    );
    expect([r.object, r.id.slice(0, 9), r.model]).toEqual(["chat.completion", "chatcmpl-", MODEL]);
    expect(r.choices).toEqual([
      { index: 0, message: { role: "assistant", content: MSG }, finish_reason: "stop", logprobs: null },
    ]);
    expect(r.usage).toEqual({ prompt_tokens: 9, completion_tokens: 7, total_tokens: 16 }); // ceil(35/4)=9
    const s = gpu.stats();
    expect(s.lastRequestIds).toEqual(["req-42"]);
    expect(s.lastModels).toEqual([MODEL]);
    expect(s).toMatchObject({ requests: 1, completed: 1, inflight: 0, tokensGenerated: 7 });
  });

  it("streams with include_usage: role chunk, one chunk per token, usage chunk with no choices", async () => {
    const messages = [{ role: "user" as const, content: MSG }];
    const stream = await client.chat.completions.create({
      model: MODEL,
      messages,
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks = [];
    for await (const c of stream) chunks.push(c);
    expect(chunks).toHaveLength(1 + 7 + 1);
    expect(chunks[0]?.choices[0]?.delta).toEqual({ role: "assistant", content: "" });
    const content = chunks.slice(1, 8);
    expect(content.map((c) => c.choices[0]?.delta.content)).toEqual([
      "Hell",
      "o fr",
      "om t",
      "he t",
      "est ",
      "suit",
      "e!",
    ]);
    expect(content.map((c) => c.choices[0]?.finish_reason)).toEqual([null, null, null, null, null, null, "stop"]);
    for (const c of chunks.slice(0, 8)) expect(c.usage).toBeNull();
    const last = chunks[8];
    expect(last?.choices).toEqual([]);
    expect(last?.usage).toEqual({ prompt_tokens: 7, completion_tokens: 7, total_tokens: 14 });
    expect(new Set(chunks.map((c) => c.id)).size).toBe(1);
  });

  it("streams without include_usage: no usage anywhere", async () => {
    const res = await post("/v1/chat/completions", chatBody({ stream: true }));
    expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const evs = events(await res.text());
    expect(evs.at(-1)).toBe("[DONE]");
    expect(evs).toHaveLength(1 + 7 + 1);
    for (const e of evs.slice(0, -1))
      expect(e).toSatisfy((c: object) => !("usage" in c) && "object" in c && c.object === "chat.completion.chunk");
  });

  it("truncates completions at max_tokens with finish_reason length", async () => {
    const r = await client.completions.create({ model: MODEL, prompt: "abcdefghijklmnopqrst", max_tokens: 3 });
    expect([r.object, r.id.slice(0, 5)]).toEqual(["text_completion", "cmpl-"]);
    expect(r.choices).toEqual([{ index: 0, text: "abcdefghijkl", finish_reason: "length", logprobs: null }]);
    expect(r.usage).toEqual({ prompt_tokens: 5, completion_tokens: 3, total_tokens: 8 });
  });

  it("embeds deterministically, base64 (SDK default) and float agree", async () => {
    const r = await client.embeddings.create({ model: MODEL, input: ["alpha", "beta"] });
    expect(r.data.map((d) => d.index)).toEqual([0, 1]);
    const [a, b] = r.data.map((d) => Array.from(d.embedding));
    expect(a).toHaveLength(8);
    expect(a).not.toEqual(b);
    expect(r.usage).toEqual({ prompt_tokens: 3, total_tokens: 3 });
    const raw = await post(
      "/v1/embeddings",
      JSON.stringify({ model: MODEL, input: "alpha", encoding_format: "float" }),
    );
    const body = (await raw.json()) as { object: string; data: { object: string; embedding: number[] }[] };
    expect(body.object).toBe("list");
    expect(body.data[0]?.object).toBe("embedding");
    expect(body.data[0]?.embedding).toEqual(a);
  });

  it("lists the served model like vLLM", async () => {
    const models = [];
    for await (const m of client.models.list()) models.push(m);
    expect(models).toHaveLength(1);
    expect(models[0]).toMatchObject({ id: MODEL, object: "model", owned_by: "vllm", max_model_len: 32768 });
  });
});

describe("vLLM validation errors", () => {
  it("400 for invalid JSON and for missing messages/prompt", async () => {
    for (const [path, body] of [
      ["/v1/chat/completions", "{nope"],
      ["/v1/chat/completions", "{}"],
      ["/v1/completions", `{"model":"${MODEL}"}`],
    ] as const) {
      const res = await post(path, body);
      expect(res.status).toBe(400);
      const json = (await res.json()) as { error: Record<string, unknown> };
      expect(json.error).toMatchObject({ type: "BadRequestError", param: null, code: 400 });
      expect(typeof json.error.message).toBe("string");
    }
  });

  it("404 for a model that is not served (raw shape and SDK error class)", async () => {
    const res = await post(
      "/v1/chat/completions",
      JSON.stringify({ model: "gpt-4o", messages: [{ role: "user", content: "x" }] }),
    );
    expect(res.status).toBe(404);
    const error = { message: "The model `gpt-4o` does not exist.", type: "NotFoundError", param: "model", code: 404 };
    expect(await res.json()).toEqual({ error });
    await expect(
      client.chat.completions.create({ model: "nope", messages: [{ role: "user", content: "x" }] }),
    ).rejects.toBeInstanceOf(NotFoundError);
    expect(gpu.stats().lastModels).toEqual(["gpt-4o", "nope"]);
  });
});

describe("health and metrics", () => {
  it("/health is 200 with an empty body", async () => {
    const res = await fetch(`${gpu.url}/health`);
    expect([res.status, await res.text()]).toEqual([200, ""]);
  });

  it("/metrics reports running, waiting (reported depth) and token counters", async () => {
    await client.chat.completions.create({ model: MODEL, messages: [{ role: "user", content: MSG }] });
    gpu.setFaults({ hang: true });
    const abort = new AbortController();
    const hung = post("/v1/chat/completions", chatBody(), { signal: abort.signal }).catch(() => undefined);
    await waitFor(() => gpu.stats().inflight === 1, { what: "the hung request to arrive" });
    gpu.setReportedQueueDepth(5);
    const text = await (await fetch(`${gpu.url}/metrics`)).text();
    gpu.setReportedQueueDepth(undefined);
    abort.abort();
    await hung;
    // Let the host see the close before afterEach resets the counters.
    await waitFor(() => gpu.stats().inflight === 0, { what: "the host to see the abort" });
    // Summed over the two `engine` series.
    const value = (name: string): number =>
      [0, 1]
        .map((e) => new RegExp(`^${name}\\{engine="${e}",model_name="${MODEL}"\\} (\\S+)$`, "m").exec(text)?.[1])
        .reduce((sum, v) => sum + Number(v), 0);
    expect(value("vllm:num_requests_running")).toBe(1);
    expect(value("vllm:num_requests_waiting")).toBe(4);
    expect(value("vllm:kv_cache_usage_perc")).toBeGreaterThan(0);
    expect(value("vllm:prompt_tokens_total")).toBe(7); // the hung request never reached prefill
    expect(value("vllm:generation_tokens_total")).toBe(7);
    expect(value("vllm:request_success_total")).toBe(1);
  });
});
