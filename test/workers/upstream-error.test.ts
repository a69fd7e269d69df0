// A host's error answer as the client receives it: vLLM's own shape untouched, anything else
// rewrapped in OpenAI's shape with the host's message.
import { describe, expect, it } from "vitest";
import { readUpstreamError } from "../../worker/proxy/upstream-error";

const answer = (body: string, status: number) => new Response(body, { status });

describe("readUpstreamError", () => {
  it("passes vLLM's nested error body through byte for byte", async () => {
    const text = '{"error":{"message":"max_tokens is too large","type":"BadRequestError","param":"max_tokens","code":400}}';
    expect(await readUpstreamError(answer(text, 400))).toEqual({ text, message: "max_tokens is too large" });
  });

  it("rewraps an older vLLM's flat body, keeping its message, type and param", async () => {
    const flat = { object: "error", message: "The model `x` does not exist.", type: "NotFoundError", param: "model", code: 404 };
    const { text, message } = await readUpstreamError(answer(JSON.stringify(flat), 404));
    expect(message).toBe(flat.message);
    expect(JSON.parse(text)).toEqual({ error: { message: flat.message, type: "NotFoundError", param: "model", code: null } });
  });

  it("rewraps FastAPI's detail and a proxy's HTML page", async () => {
    const detail = JSON.parse((await readUpstreamError(answer('{"detail":"Not Found"}', 404))).text);
    expect(detail).toEqual({ error: { message: "Not Found", type: "invalid_request_error", param: null, code: null } });
    const html = JSON.parse((await readUpstreamError(answer("<html><body>502 Bad Gateway</body></html>", 500))).text);
    expect(html.error).toMatchObject({ message: "The GPU worker answered HTTP 500 without an error message.", type: "upstream_error" });
  });

  it("reads at most 64 KiB of an error body", async () => {
    const { text } = await readUpstreamError(answer("x".repeat(1_000_000), 500));
    expect(text.length).toBeLessThan(1_000);
  });
});
