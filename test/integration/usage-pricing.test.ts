// Attribution and pricing on usage rows: key, organization, model, offering, instance, unit prices
// and the charged amount, for JSON and streamed answers; estimated usage when a host reports none.
import { eq } from "drizzle-orm";
import OpenAI from "openai";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { apiKeys } from "../../schema";
import { chargedAmount, estimateTokens } from "../../worker/usage/event";
import { createOffering, sha256Hex, uniqueSlug } from "../support/fixtures";
import { type Stack, startStack, type TestHost } from "../support/stack";
import { usageRowFor } from "../support/usage";

let stack: Stack;
let host: TestHost;
let client: OpenAI;
let apiKeyId: string;
let offering: { id: string; name: string };

beforeAll(async () => {
  stack = await startStack({ hosts: 1, priceInputPer1k: "0.5", priceOutputPer1k: "1.5" });
  host = stack.hosts[0]!;
  client = new OpenAI({ baseURL: stack.baseURL, apiKey: stack.tenant.memberKey, maxRetries: 0 });
  const [key] = await stack.database.db
    .select({ id: apiKeys.id })
    .from(apiKeys)
    .where(eq(apiKeys.keyHash, await sha256Hex(stack.tenant.memberKey)));
  apiKeyId = key!.id;
  const code = uniqueSlug("priced");
  const id = await createOffering(stack.database.db, {
    orgId: stack.tenant.orgId,
    modelUuid: stack.modelUuid,
    code,
    priceInputPer1k: "2",
    priceOutputPer1k: "4.25",
  });
  offering = { id, name: `${stack.tenant.slug}/${code}` };
});
afterAll(() => stack?.dispose());
beforeEach(() => host.gpu.setFaults({}));

const attribution = () => ({
  apiKeyId,
  consumerOrganizationId: stack.tenant.orgId,
  modelId: stack.modelUuid,
  instanceId: host.instance.id,
  status: "succeeded",
});

describe("usage rows: attribution and price", () => {
  it("a JSON answer through the model's own name carries the model's prices", async () => {
    const id = uniqueSlug("req-price-json");
    const data = await client.chat.completions.create(
      { model: stack.model, messages: [{ role: "user", content: "price me, please" }] },
      { headers: { "X-Request-Id": id } },
    );
    const row = await usageRowFor(stack, id);
    const usage = { inputTokens: data.usage!.prompt_tokens, outputTokens: data.usage!.completion_tokens };
    expect(row).toMatchObject({
      ...attribution(),
      organizationModelId: null,
      ...usage,
      totalTokens: data.usage!.total_tokens,
      usageEstimated: false,
      unitPriceInputPer1k: "0.500000",
      unitPriceOutputPer1k: "1.500000",
      chargedAmount: chargedAmount(usage, "0.5", "1.5"),
      endpoint: "/v1/chat/completions",
    });
    expect(row.metadata).toMatchObject({ x_request_id: id, model: stack.model, http_status: 200 });
  });

  it("a stream through an offering carries the offering and its prices, which override the model's", async () => {
    const id = uniqueSlug("req-price-offering");
    const stream = await client.chat.completions.create(
      {
        model: offering.name,
        messages: [{ role: "user", content: "stream me a priced answer" }],
        stream: true,
        stream_options: { include_usage: true },
      },
      { headers: { "X-Request-Id": id } },
    );
    let usage: OpenAI.CompletionUsage | undefined;
    for await (const chunk of stream) usage = chunk.usage ?? usage;
    const tokens = { inputTokens: usage!.prompt_tokens, outputTokens: usage!.completion_tokens };
    const row = await usageRowFor(stack, id);
    expect(row).toMatchObject({
      ...attribution(),
      organizationModelId: offering.id,
      ...tokens,
      usageEstimated: false,
      unitPriceInputPer1k: "2.000000",
      unitPriceOutputPer1k: "4.250000",
      chargedAmount: chargedAmount(tokens, "2", "4.25"),
    });
  });

  it("estimates and marks a JSON answer that came without usage", async () => {
    host.gpu.setFaults({ omitUsage: true });
    const id = uniqueSlug("req-estimated-json");
    const content = "no usage in this answer";
    const data = await client.chat.completions.create(
      { model: stack.model, messages: [{ role: "user", content }] },
      { headers: { "X-Request-Id": id } },
    );
    expect(data.usage ?? null).toBeNull();
    const answer = data.choices[0]?.message.content ?? "";
    const tokens = { inputTokens: estimateTokens(content.length), outputTokens: estimateTokens(answer.length) };
    expect(tokens.outputTokens).toBeGreaterThan(0);
    const row = await usageRowFor(stack, id);
    expect(row).toMatchObject({
      ...attribution(),
      ...tokens,
      usageEstimated: true,
      chargedAmount: chargedAmount(tokens, "0.5", "1.5"),
    });
  });

  it("estimates the prompt of messages given as content parts", async () => {
    host.gpu.setFaults({ omitUsage: true });
    const id = uniqueSlug("req-estimated-parts");
    const parts = [
      { type: "text" as const, text: "the first part, " },
      { type: "text" as const, text: "and the second one" },
    ];
    const data = await client.chat.completions.create(
      { model: stack.model, messages: [{ role: "user", content: parts }] },
      { headers: { "X-Request-Id": id } },
    );
    const chars = parts.reduce((n, p) => n + p.text.length, 0);
    const row = await usageRowFor(stack, id);
    expect(row).toMatchObject({
      inputTokens: estimateTokens(chars),
      outputTokens: estimateTokens((data.choices[0]?.message.content ?? "").length),
      usageEstimated: true,
    });
  });

  it("estimates and marks a stream that came without usage, through an offering", async () => {
    host.gpu.setFaults({ omitUsage: true });
    const id = uniqueSlug("req-estimated-stream");
    const content = "stream without any usage";
    const stream = await client.chat.completions.create(
      { model: offering.name, messages: [{ role: "user", content }], stream: true },
      { headers: { "X-Request-Id": id } },
    );
    let text = "";
    for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? "";
    const tokens = { inputTokens: estimateTokens(content.length), outputTokens: estimateTokens(text.length) };
    const row = await usageRowFor(stack, id);
    expect(row).toMatchObject({
      ...attribution(),
      organizationModelId: offering.id,
      ...tokens,
      usageEstimated: true,
      chargedAmount: chargedAmount(tokens, "2", "4.25"),
    });
  });
});
