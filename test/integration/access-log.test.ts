// The access log: exactly one JSON line per request on every route, with the route's pattern, the
// caller's organization once authenticated, and (for inference) the outcome, written at the body's end.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chat, type LogLine, type Stack, startStack } from "../support/stack";
import { waitFor } from "../support/wait";

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ hosts: 1 });
});
afterAll(() => stack?.dispose());

let seq = 0;
/** Sends one request under a fresh X-Request-Id and returns its status and its one log line. */
async function logged(
  method: string,
  path: string,
  options: { body?: unknown; key?: string } = {},
): Promise<{ status: number; line: LogLine }> {
  const id = `access-log-${process.pid}-${++seq}`;
  const res = await stack.call(method, path, { ...options, headers: { "x-request-id": id } });
  await res.text();
  await waitFor(() => stack.logs.some((l) => l.request_id === id), { what: `the log line of ${method} ${path}` });
  const lines = stack.logs.filter((l) => l.request_id === id && l.msg === "request");
  expect(lines).toHaveLength(1);
  return { status: res.status, line: lines[0]! };
}

describe("the access log", () => {
  it("writes one line per request on every route, with the matched route pattern", async () => {
    const cases: [string, string, { body?: unknown; key?: string }, number, string | null, string | null][] = [
      ["GET", "/health", { key: "" }, 200, "/health", null],
      ["GET", "/v1/models", {}, 200, "/v1/models", stack.tenant.slug],
      ["GET", "/v1/models/no-such-model", {}, 404, "/v1/models/:id{.+}", stack.tenant.slug],
      ["GET", `/instances/${stack.hosts[0]!.instance.id}`, {}, 200, "/instances/:id", stack.tenant.slug],
      ["GET", "/v1/sessions/nope", {}, 404, "/v1/sessions/:id", stack.tenant.slug],
      ["GET", "/v1/models", { key: "sk-inv-wrong" }, 401, "/v1/models", null],
      ["GET", "/no/such/route", {}, 404, null, null],
    ];
    for (const [method, path, options, status, route, org] of cases) {
      const { status: got, line } = await logged(method, path, options);
      expect(got, path).toBe(status);
      expect(line, path).toEqual({
        msg: "request",
        request_id: expect.any(String),
        method,
        route,
        status,
        org,
        duration_ms: expect.any(Number),
        ...(status >= 400 ? { code: expect.any(String) } : {}),
      });
    }
  });

  it("writes a stream's line once the stream has ended, with its outcome and usage", async () => {
    const { status, line } = await logged("POST", "/v1/chat/completions", {
      body: { ...chat(stack, "stream me"), stream: true },
    });
    expect(status).toBe(200);
    expect(line).toEqual({
      msg: "request",
      request_id: expect.any(String),
      method: "POST",
      route: "/v1/chat/completions",
      status: 200,
      org: stack.tenant.slug,
      model: stack.model,
      instance: stack.hosts[0]!.instance.id,
      outcome: "completed",
      attempts: 1,
      input_tokens: expect.any(Number),
      output_tokens: expect.any(Number),
      duration_ms: expect.any(Number),
    });
    expect(line.output_tokens).toBeGreaterThan(0);
  });
});
