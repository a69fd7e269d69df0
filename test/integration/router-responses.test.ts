// The Responses API through the router with the official SDK: created on a host, remembered per
// organization, followed up and retrieved on that same host whatever the load elsewhere, metered
// like chat (usage from the JSON body or from `response.completed`), and clear errors otherwise.
import OpenAI, { ConflictError, NotFoundError } from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Stack, startStack } from "../support/stack";
import { usageRowFor, usageRowsFor } from "../support/usage";

const MSG = "Hello from the test suite!"; // 26 chars → 7 tokens

let stack: Stack;
let client: OpenAI;
beforeAll(async () => {
  stack = await startStack({ hosts: 2 });
  client = new OpenAI({ baseURL: stack.baseURL, apiKey: stack.tenant.memberKey, maxRetries: 0 });
});
afterAll(() => stack?.dispose());

const hostOf = (id: string) => stack.hosts.find((h) => h.instance.id === id)!;

describe("Responses API through the router", () => {
  it("creates, retrieves and follows up on the holding host while the other is less loaded", async () => {
    const { data: first, response } = await client.responses
      .create({ model: stack.model, input: MSG }, { headers: { "X-Request-Id": "resp-create-1" } })
      .withResponse();
    expect(first.id).toMatch(/^resp_[0-9a-f]{32}$/);
    expect(first.output_text).toBe(MSG);
    const holder = response.headers.get("x-inventiv-instance")!;
    const other = stack.hosts.find((h) => h.instance.id !== holder)!;

    const row = await usageRowFor(stack, "resp-create-1");
    expect(row).toMatchObject({
      endpoint: "/v1/responses",
      status: "succeeded",
      instanceId: holder,
      inputTokens: 7,
      outputTokens: 7,
      usageEstimated: false,
    });
    expect(row.chargedAmount).toBe("0.01400000"); // 7 × 0.5/1k + 7 × 1.5/1k

    // The holder looks busy, the other idle: a new request would go to the other one.
    hostOf(holder).gpu.setReportedQueueDepth(50);
    await hostOf(holder).gpu.heartbeatNow();
    const before = other.gpu.stats().requests;
    const next = await client.responses.create(
      { model: stack.model, input: "Hi", previous_response_id: first.id },
      { headers: { "X-Request-Id": "resp-followup-1" } },
    );
    expect(next.usage).toMatchObject({ input_tokens: 14, output_tokens: 1 });
    expect((await usageRowFor(stack, "resp-followup-1")).instanceId).toBe(holder);

    const { data: again, response: got } = await client.responses
      .retrieve(first.id, {}, { headers: { "X-Request-Id": "resp-get-1" } })
      .withResponse();
    expect(again.output_text).toBe(MSG);
    expect(got.headers.get("x-inventiv-instance")).toBe(holder);
    expect(other.gpu.stats().requests).toBe(before);
    // A lookup generates nothing: no ledger row.
    expect(await usageRowsFor(stack, "resp-get-1")).toEqual([]);

    await client.responses.delete(next.id);
    await expect(client.responses.retrieve(next.id)).rejects.toBeInstanceOf(NotFoundError);
    hostOf(holder).gpu.setReportedQueueDepth(undefined);
    await hostOf(holder).gpu.heartbeatNow();
  });

  it("streams typed events and meters the usage of response.completed", async () => {
    const stream = await client.responses.create(
      { model: stack.model, input: MSG, stream: true },
      { headers: { "X-Request-Id": "resp-stream-1" } },
    );
    let text = "";
    let last = "";
    for await (const ev of stream) {
      if (ev.type === "response.output_text.delta") text += ev.delta;
      last = ev.type;
    }
    expect(text).toBe(MSG);
    expect(last).toBe("response.completed");
    expect(await usageRowFor(stack, "resp-stream-1")).toMatchObject({
      status: "succeeded",
      inputTokens: 7,
      outputTokens: 7,
      usageEstimated: false,
    });
  });

  it("answers 404 response_not_found for an id it does not hold, create and retrieve alike", async () => {
    const create = client.responses.create({ model: stack.model, input: "x", previous_response_id: "resp_nope" });
    await expect(create).rejects.toBeInstanceOf(NotFoundError);
    await expect(create).rejects.toMatchObject({ code: "response_not_found", param: "previous_response_id" });
    await expect(client.responses.retrieve("resp_nope")).rejects.toMatchObject({
      status: 404,
      code: "response_not_found",
    });
    await expect(client.responses.cancel("resp_nope")).rejects.toMatchObject({
      status: 404,
      code: "response_not_found",
    });
  });

  it("answers 409 response_host_gone once the holding host is retired", async () => {
    const { data, response } = await client.responses.create({ model: stack.model, input: MSG }).withResponse();
    const holder = response.headers.get("x-inventiv-instance")!;
    expect((await stack.call("DELETE", `/instances/${holder}`)).status).toBe(200);
    const follow = client.responses.create({ model: stack.model, input: "Hi", previous_response_id: data.id });
    await expect(follow).rejects.toBeInstanceOf(ConflictError);
    await expect(follow).rejects.toMatchObject({ code: "response_host_gone" });
    await expect(client.responses.retrieve(data.id)).rejects.toMatchObject({ status: 409, code: "response_host_gone" });
  });
});
