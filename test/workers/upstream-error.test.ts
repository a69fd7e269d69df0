// A host's error answer as the client receives it: vLLM's own shape untouched, anything else
// rewrapped in OpenAI's shape with the host's message, and a body that stalls or breaks still
// answered (and blamed on the host).
import { describe, expect, it } from "vitest";
import { readUpstreamError } from "../../worker/proxy/upstream-error";

const answer = (body: string | ReadableStream<Uint8Array>, status: number) => new Response(body, { status });
const read = (body: string | ReadableStream<Uint8Array>, status: number) =>
  readUpstreamError(answer(body, status), 1_000);

describe("readUpstreamError", () => {
  it("passes vLLM's nested error body through byte for byte", async () => {
    const text =
      '{"error":{"message":"max_tokens is too large","type":"BadRequestError","param":"max_tokens","code":400}}';
    expect(await read(text, 400)).toEqual({ text, message: "max_tokens is too large", broken: false });
  });

  it("rewraps an older vLLM's flat body, keeping its message, type and param", async () => {
    const flat = {
      object: "error",
      message: "The model `x` does not exist.",
      type: "NotFoundError",
      param: "model",
      code: 404,
    };
    const { text, message } = await read(JSON.stringify(flat), 404);
    expect(message).toBe(flat.message);
    expect(JSON.parse(text)).toEqual({
      error: { message: flat.message, type: "NotFoundError", param: "model", code: null },
    });
  });

  it("rewraps FastAPI's detail, an error given as a string, and a proxy's HTML page", async () => {
    expect(JSON.parse((await read('{"detail":"Not Found"}', 404)).text)).toEqual({
      error: { message: "Not Found", type: "invalid_request_error", param: null, code: null },
    });
    expect(JSON.parse((await read('{"error":"Bad Gateway"}', 502)).text).error).toMatchObject({
      message: "Bad Gateway",
      type: "upstream_error",
    });
    const html = JSON.parse((await read("<html><body>502 Bad Gateway</body></html>", 500)).text);
    expect(html.error).toMatchObject({
      message: "The GPU worker answered HTTP 500 without an error message.",
      type: "upstream_error",
    });
  });

  it("reads at most 64 KiB of an error body", async () => {
    const { message } = await read(JSON.stringify({ detail: "x".repeat(1_000_000) }), 500);
    // Cut at the cap, the JSON no longer parses: the generic message, not a megabyte of detail.
    expect(message).toBe("The GPU worker answered HTTP 500 without an error message.");
    const { message: small } = await read(JSON.stringify({ detail: "x".repeat(60_000) }), 500);
    expect(small).toHaveLength(60_000);
  });

  it("answers, and marks the host at fault, when the body stalls or breaks", async () => {
    const stalled = new ReadableStream<Uint8Array>({ start: (c) => c.enqueue(new TextEncoder().encode('{"error":')) });
    const late = await readUpstreamError(answer(stalled, 500), 50); // would hang without its timeout
    expect(late).toMatchObject({ broken: true, message: expect.stringContaining("broke off") });
    expect(JSON.parse(late.text).error).toMatchObject({ type: "upstream_error", code: null });
    const broken = new ReadableStream<Uint8Array>({ pull: (c) => c.error(new Error("connection reset")) });
    expect(await read(broken, 503)).toMatchObject({ broken: true });
  });
});
