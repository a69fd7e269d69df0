// A host (or what stands in front of it) answering something that is not an inference answer: a
// redirect, a web page, plain JSON to a stream. Each is the host's fault: 502 to the client, a
// failure on the host's breaker, a `failed` usage row, nothing charged, and nothing sent elsewhere.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startMockGpu } from "../../dev/mock-gpu/server";
import type { Faults, MockGpu } from "../../dev/mock-gpu/types";
import { getInstance } from "../support/fleet";
import { chat, type Stack, startStack } from "../support/stack";
import { usageRowFor } from "../support/usage";

interface Case {
  name: string;
  faults: (elsewhere: string) => Faults;
  stream: boolean;
  message: string;
}

const cases: Case[] = [
  {
    name: "a 307 redirect to another URL is not followed",
    faults: (elsewhere) => ({ redirectTo: `${elsewhere}/v1/chat/completions` }),
    stream: false,
    message: "answered 307; hosts must not redirect",
  },
  {
    name: "a 200 text/html page is not relayed",
    faults: () => ({ htmlPage: true }),
    stream: false,
    message: "answered 200 with Content-Type `text/html; charset=utf-8`, not `application/json`",
  },
  {
    name: "a stream answered with plain JSON is not relayed",
    faults: () => ({ ignoreStream: true }),
    stream: true,
    message: "answered 200 with Content-Type `application/json`, not `text/event-stream`",
  },
];

describe.each(cases)("a host whose answer is not one: $name", ({ faults, stream, message }) => {
  let stack: Stack;
  let elsewhere: MockGpu;
  beforeAll(async () => {
    stack = await startStack();
    // Where a redirect points: a server the prompt must never reach.
    elsewhere = await startMockGpu({ model: stack.model });
  });
  afterAll(async () => {
    await elsewhere?.close();
    await stack?.dispose();
  });

  it("is a 502 in OpenAI's shape, counts against the host, and is recorded failed and uncharged", async () => {
    const host = stack.hosts[0]!;
    host.gpu.setFaults(faults(elsewhere.url));
    const requestId = `hostile-host-${crypto.randomUUID()}`;
    const res = await stack.post("/v1/chat/completions", chat(stack, "Hello", { stream }), {
      "x-request-id": requestId,
    });
    expect(res.status).toBe(502);
    expect(res.headers.get("content-type")).toBe("application/json");
    expect(await res.json()).toEqual({
      error: {
        message: `GPU worker ${host.instance.id} ${message}.`,
        type: "upstream_error",
        param: null,
        code: "upstream_bad_answer",
      },
    });
    expect(elsewhere.stats().requests).toBe(0);
    expect(host.gpu.stats().requests).toBe(1);
    expect((await getInstance(stack, host.instance.id)).live?.consecutive_failures).toBe(1);
    const row = await usageRowFor(stack, requestId);
    expect({
      status: row.status,
      input: row.inputTokens,
      output: row.outputTokens,
      charged: row.chargedAmount,
      http: (row.metadata as { http_status?: number }).http_status,
    }).toEqual({ status: "failed", input: 0, output: 0, charged: "0.00000000", http: 502 });
  });
});
