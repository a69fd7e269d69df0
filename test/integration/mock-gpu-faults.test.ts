// The simulated GPU host's fault injection, token timing and cancellation, over raw HTTP.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type MockGpu, startMockGpu } from "../../dev/mock-gpu/server";
import { chatBody, events, MODEL } from "../support/mock-gpu";
import { waitFor } from "../support/wait";

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

let gpu: MockGpu;
beforeAll(async () => {
  gpu = await startMockGpu({ model: MODEL, port: 0 });
});
afterAll(() => gpu.close());
afterEach(() => fetch(`${gpu.url}/_mock/reset`, { method: "POST" }).then(() => undefined));

const post = (path: string, body: string, init: RequestInit = {}): Promise<Response> =>
  fetch(`${gpu.url}${path}`, { method: "POST", body, headers: { "content-type": "application/json" }, ...init });

describe("fault injection", () => {
  const setFaults = (f: unknown): Promise<Response> => post("/_mock/faults", JSON.stringify(f));

  it("status: every inference request fails with a vLLM error body", async () => {
    expect((await setFaults({ status: 503 })).status).toBe(200);
    for (let i = 0; i < 2; i++) {
      const res = await post("/v1/chat/completions", chatBody());
      expect(res.status).toBe(503);
      expect(await res.json()).toMatchObject({ error: { type: "ServiceUnavailableError", code: 503 } });
    }
    expect((await fetch(`${gpu.url}/health`)).status).toBe(200); // control plane unaffected
  });

  it("failNext: only the next N requests fail", async () => {
    await setFaults({ failNext: { count: 2, status: 500 } });
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await post("/v1/chat/completions", chatBody())).status);
    expect(statuses).toEqual([500, 500, 200]);
    expect(gpu.stats()).toMatchObject({ requests: 3, errors: 2, completed: 3 });
    expect((await setFaults({ explode: true })).status).toBe(400); // unknown faults are rejected
  });

  it("hang: never answers; the client's timeout counts as cancelled", async () => {
    gpu.setFaults({ hang: true });
    const err = await post("/v1/chat/completions", chatBody(), { signal: AbortSignal.timeout(150) }).catch(
      (e: unknown) => e,
    );
    expect((err as Error).name).toBe("TimeoutError");
    await waitFor(() => gpu.stats().inflight === 0, { what: "the host to see the client leave" });
    expect(gpu.stats()).toMatchObject({ requests: 1, inflight: 0, cancelled: 1, completed: 0 });
  });

  it("cutAfterTokens: the socket dies mid-stream after N content chunks", async () => {
    gpu.setFaults({ cutAfterTokens: 2 });
    const res = await post("/v1/chat/completions", chatBody({ stream: true }));
    expect(res.status).toBe(200);
    let text = "";
    const failure = await (async () => {
      for await (const part of res.body!) text += new TextDecoder().decode(part);
    })().catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(Error);
    const evs = events(text);
    expect(evs).toHaveLength(3); // role chunk + 2 content chunks
    expect(text).not.toContain("[DONE]");
    expect(gpu.stats()).toMatchObject({ cut: 1, cancelled: 0, tokensGenerated: 2 });
  });

  it("streamErrorAfterTokens: an in-stream error event and no [DONE]", async () => {
    gpu.setFaults({ streamErrorAfterTokens: 3 });
    const res = await post("/v1/chat/completions", chatBody({ stream: true, stream_options: { include_usage: true } }));
    expect(res.status).toBe(200);
    const evs = events(await res.text());
    expect(evs).toHaveLength(1 + 3 + 1);
    expect(evs.at(-1)).toMatchObject({ error: { type: "InternalServerError", code: 500, param: null } });
    expect(evs).not.toContain("[DONE]");
  });

  it("stallAfterTokens: N content chunks, then silence with the connection open until the client leaves", async () => {
    gpu.setFaults({ stallAfterTokens: 2 });
    const controller = new AbortController();
    const res = await post("/v1/chat/completions", chatBody({ stream: true }), { signal: controller.signal });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    let text = "";
    for (let read = await reader.read(); ; read = await reader.read()) {
      text += new TextDecoder().decode(read.value);
      if (read.done || events(text).length >= 3) break;
    }
    expect(events(text)).toHaveLength(3); // role chunk + 2 content chunks
    expect(gpu.stats()).toMatchObject({ inflight: 1, tokensGenerated: 2 });
    controller.abort();
    await waitFor(() => gpu.stats().inflight === 0, { what: "the host to see the client leave" });
    expect(gpu.stats()).toMatchObject({ cancelled: 1, cut: 0, completed: 0, tokensGenerated: 2 });
  });

  it("refuse: connections are closed at once", async () => {
    gpu.setFaults({ refuse: true });
    await expect(fetch(`${gpu.url}/health`)).rejects.toThrow();
    gpu.setFaults({});
    expect((await fetch(`${gpu.url}/health`)).status).toBe(200);
  });

  it("omitUsage: no usage in JSON, no usage chunk in streams", async () => {
    gpu.setFaults({ omitUsage: true });
    const json = (await (await post("/v1/chat/completions", chatBody())).json()) as Record<string, unknown>;
    expect(json).not.toHaveProperty("usage");
    expect(json.choices).toHaveLength(1);
    const evs = events(
      await (
        await post("/v1/chat/completions", chatBody({ stream: true, stream_options: { include_usage: true } }))
      ).text(),
    );
    expect(evs).toHaveLength(1 + 7 + 1);
    for (const e of evs.slice(0, -1)) expect(e).not.toHaveProperty("usage");
  });
});

describe("timing and cancellation", () => {
  let slow: MockGpu;
  beforeAll(async () => {
    slow = await startMockGpu({ model: MODEL, tokenDelayMs: 20, ttftMs: 10 });
  });
  afterAll(() => slow.close());
  const long = JSON.stringify({ model: MODEL, stream: true, messages: [{ role: "user", content: "x".repeat(400) }] });

  it("flushes tokens as they are generated (not buffered)", async () => {
    const res = await fetch(`${slow.url}/v1/chat/completions`, { method: "POST", body: long });
    const reader = res.body!.getReader();
    let text = "";
    while (events(text).length < 3) text += new TextDecoder().decode((await reader.read()).value);
    expect(slow.stats().tokensGenerated).toBeLessThan(20); // 100 tokens in total, ~2 s
    await reader.cancel();
    await waitFor(() => slow.stats().inflight === 0, { what: "the host to see the cancel" });
    expect(slow.stats()).toMatchObject({ inflight: 0, cancelled: 1 });
  });

  it("counts a request as prefilling until its first token leaves", async () => {
    const prefill = await startMockGpu({ model: MODEL, ttftMs: 200, tokenDelayMs: 20 });
    try {
      const res = await fetch(`${prefill.url}/v1/chat/completions`, { method: "POST", body: long });
      expect(prefill.stats()).toMatchObject({ inflight: 1, prefilling: 1 }); // headers out, no token yet
      const reader = res.body!.getReader();
      await reader.read();
      expect(prefill.stats()).toMatchObject({ inflight: 1, prefilling: 0 });
      await reader.cancel();
    } finally {
      await prefill.close();
    }
    expect(prefill.stats()).toMatchObject({ inflight: 0, prefilling: 0 });
  });

  it("a client abort is counted as cancelled and stops generation at once", async () => {
    const { tokensGenerated: before, cancelled } = slow.stats();
    const abort = new AbortController();
    const res = await fetch(`${slow.url}/v1/chat/completions`, { method: "POST", body: long, signal: abort.signal });
    const reader = res.body!.getReader();
    await reader.read();
    await sleep(100);
    abort.abort();
    await waitFor(() => slow.stats().inflight === 0, { what: "the host to see the abort" });
    const at = slow.stats();
    expect(at).toMatchObject({ inflight: 0, cancelled: cancelled + 1, completed: 0 });
    await sleep(200);
    expect(slow.stats().tokensGenerated).toBe(at.tokensGenerated);
    expect(at.tokensGenerated - before).toBeLessThan(15);
  });
});
