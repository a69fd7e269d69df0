// vLLM's utility endpoints through the router over raw HTTP (the SDK has no methods for them):
// routed to the model's fleet, answered as the host answers, and in the ledger as kind `utility`
// with the host's counts and no charge.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Stack, startStack } from "../support/stack";
import { usageRowFor } from "../support/usage";

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ hosts: 1 });
});
afterAll(() => stack?.dispose());

const call = (path: string, body: Record<string, unknown>, requestId: string) =>
  fetch(`${stack.router.url}${path}`, {
    method: "POST",
    headers: {
      authorization: `Bearer ${stack.tenant.memberKey}`,
      "content-type": "application/json",
      "x-request-id": requestId,
    },
    body: JSON.stringify({ model: stack.model, ...body }),
  });

describe("utility endpoints through the router", () => {
  it("tokenizes and detokenizes on the model's host, ledgered as utility and not charged", async () => {
    const res = await call("/tokenize", { prompt: "Hello from the test suite!" }, "util-tok-1");
    expect(res.status).toBe(200);
    expect(res.headers.get("x-inventiv-instance")).toBe(stack.hosts[0]!.instance.id);
    const t = (await res.json()) as { count: number; tokens: number[] };
    expect(t.count).toBe(7);
    const d = await call("/detokenize", { tokens: t.tokens }, "util-detok-1");
    expect(await d.json()).toEqual({ prompt: "Hello from the test suite!" });
    expect(await usageRowFor(stack, "util-tok-1")).toMatchObject({
      endpoint: "/tokenize",
      kind: "utility",
      status: "succeeded",
      unitPriceInputPer1k: "0.000000",
      chargedAmount: "0.00000000",
    });
  });

  it("scores and reranks, with the host's token counts in the row", async () => {
    const s = await call("/v1/score", { text_1: "red apple", text_2: ["an apple", "red apple pie"] }, "util-score-1");
    expect(((await s.json()) as { data: { score: number }[] }).data.map((d) => d.score)).toEqual([0.5, 1]);
    expect(await usageRowFor(stack, "util-score-1")).toMatchObject({
      kind: "utility",
      inputTokens: 2 * 3 + 2 + 4,
      outputTokens: 0,
      usageEstimated: false,
      chargedAmount: "0.00000000",
    });
    for (const path of ["/rerank", "/v1/rerank"]) {
      const r = await call(
        path,
        { query: "red apple", documents: ["pear", "red apple"], top_n: 1 },
        `util-rerank${path.length}`,
      );
      expect(r.status).toBe(200);
      expect(((await r.json()) as { results: unknown[] }).results).toEqual([
        { index: 1, document: { text: "red apple" }, relevance_score: 1 },
      ]);
    }
    expect(await usageRowFor(stack, "util-rerank10")).toMatchObject({ kind: "utility", inputTokens: 3 * 2 + 1 + 3 });
  });

  it("refuses a bad body with 400 before any host sees it, and an unknown key with 401", async () => {
    const before = stack.hosts[0]!.gpu.stats().requests;
    const bad = await call("/rerank", { query: "x" }, "util-bad-1");
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { param: string } }).error.param).toBe("documents");
    expect(stack.hosts[0]!.gpu.stats().requests).toBe(before);
    const anon = await fetch(`${stack.router.url}/tokenize`, { method: "POST", body: "{}" });
    expect(anon.status).toBe(401);
  });
});
