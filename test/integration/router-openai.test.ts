// The official OpenAI SDK through the router to real mock GPU hosts, with usage landing in Postgres.
import { eq } from "drizzle-orm";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inferenceUsage, instanceRequestMetrics } from "../../schema";
import { chat, type Stack, startStack } from "../support/stack";
import { usageRowFor } from "../support/usage";
import { waitFor } from "../support/wait";

let stack: Stack;
let client: OpenAI;

beforeAll(async () => {
  stack = await startStack({ hosts: 1 });
  client = new OpenAI({ baseURL: stack.baseURL, apiKey: stack.tenant.memberKey, maxRetries: 0 });
});
afterAll(() => stack?.dispose());

/** The row of the request the client sent with this X-Request-Id (the ledger keys rows by its own id). */
const usageRow = (requestId: string) => usageRowFor(stack, requestId);

describe("OpenAI SDK through the router", () => {
  it("does a plain chat: echo, usage, request id and instance headers, and a usage row", async () => {
    const { data, response } = await client.chat.completions
      .create(
        { model: stack.model, messages: [{ role: "user", content: "Hello, how are you?" }] },
        { headers: { "X-Request-Id": "req-plain-1" } },
      )
      .withResponse();
    expect(data.choices[0]?.message.content).toContain("Hello, how are you?");
    expect(data.model).toBe(stack.model);
    expect(data.usage).toMatchObject({ prompt_tokens: 5, completion_tokens: expect.any(Number) });
    expect(response.headers.get("x-request-id")).toBe("req-plain-1");
    const host = stack.hosts[0]!;
    expect(response.headers.get("x-inventiv-instance")).toBe(host.instance.id);
    expect(host.gpu.stats().lastRequestIds).toContain("req-plain-1");

    const row = await usageRow("req-plain-1");
    expect(row).toMatchObject({
      status: "succeeded",
      apiKeyId: expect.any(String),
      consumerOrganizationId: stack.tenant.orgId,
      modelId: stack.modelUuid,
      instanceId: host.instance.id,
      inputTokens: data.usage!.prompt_tokens,
      outputTokens: data.usage!.completion_tokens,
      totalTokens: data.usage!.total_tokens,
      usageEstimated: false,
    });
    const expected = (data.usage!.prompt_tokens * 0.5 + data.usage!.completion_tokens * 1.5) / 1000;
    expect(Number(row.chargedAmount)).toBeCloseTo(expected, 8);
  });

  it("streams a chat chunk by chunk; without include_usage the client sees no usage, yet the row exists", async () => {
    const stream = await client.chat.completions.create(
      { model: stack.model, messages: [{ role: "user", content: "Tell me a story about routers" }], stream: true },
      { headers: { "X-Request-Id": "req-stream-1" } },
    );
    let text = "";
    let chunks = 0;
    for await (const chunk of stream) {
      chunks += 1;
      // Not even `"usage": null`: that comes only to clients who asked, as from vLLM itself.
      expect(chunk).not.toHaveProperty("usage");
      text += chunk.choices[0]?.delta?.content ?? "";
    }
    expect(text).toContain("Tell me a story about routers");
    expect(chunks).toBeGreaterThan(3);
    const row = await usageRow("req-stream-1");
    expect(row.status).toBe("succeeded");
    expect(row.outputTokens).toBeGreaterThan(0);
  });

  it("streams with include_usage: the client gets the usage chunk", async () => {
    const stream = await client.chat.completions.create({
      model: stack.model,
      messages: [{ role: "user", content: "Count" }],
      stream: true,
      stream_options: { include_usage: true },
    });
    const usages = [];
    for await (const chunk of stream) if (chunk.usage) usages.push(chunk.usage);
    expect(usages).toHaveLength(1);
    expect(usages[0]).toMatchObject({ prompt_tokens: expect.any(Number), completion_tokens: expect.any(Number) });
  });

  it("serves completions, embeddings and models", async () => {
    const completion = await client.completions.create({ model: stack.model, prompt: "Once upon a time" });
    expect(completion.choices[0]?.text).toContain("Once upon a time");
    const embeddings = await client.embeddings.create({ model: stack.model, input: ["a", "b"] });
    expect(embeddings.data).toHaveLength(2);
    const models = await client.models.list();
    expect(models.data.map((m) => m.id)).toContain(stack.model);
    expect((await client.models.retrieve(stack.model)).id).toBe(stack.model);
  });

  it("keeps instance_request_metrics equal to the sum of the usage rows", async () => {
    const host = stack.hosts[0]!;
    await waitFor(
      async () => {
        const rows = await stack.database.db
          .select()
          .from(inferenceUsage)
          .where(eq(inferenceUsage.instanceId, host.instance.id));
        const [m] = await stack.database.db
          .select()
          .from(instanceRequestMetrics)
          .where(eq(instanceRequestMetrics.instanceId, host.instance.id));
        return (
          !!m &&
          m.totalRequests === rows.length &&
          m.totalTokens === rows.reduce((s, r) => s + r.totalTokens, 0) &&
          m.inputTokens === m.totalInputTokens
        );
      },
      { what: "metrics to match usage rows" },
    );
  });

  it("answers errors in OpenAI's shape that the SDK raises as typed errors", async () => {
    const bad = new OpenAI({ baseURL: stack.baseURL, apiKey: "sk-inv-nope", maxRetries: 0 });
    await expect(bad.models.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    await expect(
      client.chat.completions.create({ model: "nobody/nothing", messages: [{ role: "user", content: "x" }] }),
    ).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    const res = await stack.post("/v1/chat/completions", { ...chat(stack), messages: [] });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      error: { message: expect.any(String), type: "invalid_request_error", param: "messages", code: "invalid_request" },
    });
  });
});
