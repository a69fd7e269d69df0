// Every usage event the outbox holds can be written: a host's absurd counts or an error message
// Postgres cannot store (NUL, a lone surrogate) must not leave a row dead-lettered forever.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chat, type Stack, startStack } from "../support/stack";
import { outboxStatus, usageRowFor } from "../support/usage";

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack?.dispose());

async function send(content: string): Promise<{ status: number; requestId: string }> {
  const requestId = `usage-writable-${crypto.randomUUID()}`;
  const res = await stack.post("/v1/chat/completions", chat(stack, content), { "x-request-id": requestId });
  await res.text();
  return { status: res.status, requestId };
}

describe("usage rows that Postgres must always accept", () => {
  it("a host's counts beyond a 32-bit integer are written exactly (bigint columns)", async () => {
    const big = 2 ** 31 - 1;
    stack.hosts[0]!.gpu.setFaults({ reportedUsage: { prompt_tokens: big, completion_tokens: big } });
    const { status, requestId } = await send("Hello");
    expect(status).toBe(200);
    const row = await usageRowFor(stack, requestId);
    expect([row.inputTokens, row.outputTokens, row.totalTokens, row.usageEstimated]).toEqual([
      big,
      big,
      2 * big,
      false,
    ]);
    // 2 × (2^31 − 1) tokens at 0.5 / 1.5 per 1k.
    expect(row.chargedAmount).toBe("4294967.29400000");
  });

  it("a host's count of 2^31 or more is not trusted: the request is estimated", async () => {
    stack.hosts[0]!.gpu.setFaults({ reportedUsage: { prompt_tokens: 2 ** 31, completion_tokens: 3 } });
    const { status, requestId } = await send("Hello there");
    expect(status).toBe(200);
    const row = await usageRowFor(stack, requestId);
    expect(row.usageEstimated).toBe(true);
    expect(row.inputTokens).toBe(Math.ceil("Hello there".length / 4));
  });

  it("an error message with a NUL and a lone surrogate is written, made storable", async () => {
    stack.hosts[0]!.gpu.setFaults({ status: 400, errorMessage: "bad\u0000input \ud800 here" });
    const { status, requestId } = await send("Hello");
    expect(status).toBe(400);
    const row = await usageRowFor(stack, requestId);
    expect(row.status).toBe("failed");
    expect((row.metadata as { error: string }).error).toBe("bad\ufffdinput \ufffd here");
  });

  it("left nothing dead-lettered", async () => {
    expect((await outboxStatus(stack)).deadLettered).toBe(0);
  });
});
