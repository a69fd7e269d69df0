// Streams that do not end cleanly, seen through the official OpenAI SDK: a cut and an in-stream
// error surface as APIError and are metered as failed; a client abort stops the host's
// generation, returns the lease and is metered as aborted. Tokens so far are estimated.
import OpenAI from "openai";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { estimateTokens } from "../../worker/usage/event";
import { uniqueSlug } from "../support/fixtures";
import { type Stack, startStack, type TestHost } from "../support/stack";
import { instanceMetrics, instanceRows, leasesInFlight, usageRowFor } from "../support/usage";
import { waitFor } from "../support/wait";

// Unique per run, so a persistent database never holds an older row with the same X-Request-Id.
const ids = {
  cut: uniqueSlug("req-cut"),
  stream_error: uniqueSlug("req-stream-error"),
  abort: uniqueSlug("req-abort"),
  count_ok: uniqueSlug("req-count-ok"),
};

let stack: Stack;
let host: TestHost;
let client: OpenAI;

beforeAll(async () => {
  // Slow enough that an abort after a few chunks lands while the host is still generating.
  stack = await startStack({ hosts: 1, host: { tokenDelayMs: 20 } });
  host = stack.hosts[0]!;
  client = new OpenAI({ baseURL: stack.baseURL, apiKey: stack.tenant.memberKey, maxRetries: 0 });
});
afterAll(() => stack?.dispose());
beforeEach(() => host.gpu.setFaults({}));

const prompt = "one two three four five six seven eight nine ten eleven twelve";

/** Iterates a stream to its end; returns the text seen and what was thrown, if anything. */
async function consume(
  requestId: string,
  onChunk?: (n: number) => void,
  signal?: AbortSignal,
): Promise<{ text: string; error: unknown }> {
  const stream = await client.chat.completions.create(
    { model: stack.model, messages: [{ role: "user", content: prompt }], stream: true },
    { headers: { "X-Request-Id": requestId }, signal },
  );
  let text = "";
  let n = 0;
  try {
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta?.content ?? "";
      onChunk?.(++n);
    }
    return { text, error: null };
  } catch (error) {
    return { text, error };
  }
}

describe("stream faults through the OpenAI SDK", () => {
  it("a mid-stream cut raises APIError while iterating and is recorded failed with the tokens seen so far", async () => {
    host.gpu.setFaults({ cutAfterTokens: 3 });
    const { text, error } = await consume(ids.cut);
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect((error as InstanceType<typeof OpenAI.APIError>).code).toBe("upstream_stream_cut");
    expect(text).toBe(prompt.slice(0, 12));

    const row = await usageRowFor(stack, ids.cut);
    expect(row).toMatchObject({
      status: "failed",
      usageEstimated: true,
      instanceId: host.instance.id,
      inputTokens: estimateTokens(prompt.length),
      outputTokens: estimateTokens(text.length),
    });
    expect(Number(row.chargedAmount)).toBeGreaterThan(0);
  });

  it("an in-stream error event raises APIError with the host's message and is recorded failed", async () => {
    host.gpu.setFaults({ streamErrorAfterTokens: 2 });
    const { text, error } = await consume(ids.stream_error);
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect((error as Error).message).toContain("injected in-stream engine error");
    expect(text).toBe(prompt.slice(0, 8));
    const row = await usageRowFor(stack, ids.stream_error);
    expect(row).toMatchObject({ status: "failed", usageEstimated: true, outputTokens: estimateTokens(text.length) });
    expect(row.metadata).toMatchObject({ error: "upstream error event" });
  });

  it("an abort stops the host's generation, returns the lease, and is recorded aborted with the tokens so far", async () => {
    const long = "lorem ipsum dolor sit amet ".repeat(30); // ~200 tokens: seconds of generation at 20 ms a token
    const before = host.gpu.stats();
    const controller = new AbortController();
    const stream = await client.chat.completions.create(
      { model: stack.model, messages: [{ role: "user", content: long }], stream: true },
      { headers: { "X-Request-Id": ids.abort }, signal: controller.signal },
    );
    let text = "";
    let chunks = 0;
    let thrown: unknown = null;
    try {
      for await (const chunk of stream) {
        text += chunk.choices[0]?.delta?.content ?? "";
        if (++chunks === 4) controller.abort();
      }
    } catch (error) {
      thrown = error;
    }
    // SDK v7 ends the iteration quietly on a user abort (older versions threw APIUserAbortError).
    expect(thrown === null || thrown instanceof OpenAI.APIUserAbortError).toBe(true);
    expect(controller.signal.aborted).toBe(true);

    await waitFor(() => host.gpu.stats().cancelled === before.cancelled + 1, {
      what: "the host to see the cancellation",
    });
    const atCancel = host.gpu.stats().tokensGenerated - before.tokensGenerated;
    expect(atCancel).toBeLessThan(Math.ceil(long.length / 4));
    await waitFor(async () => (await leasesInFlight(stack)) === 0, { what: "the lease to be returned" });

    const row = await usageRowFor(stack, ids.abort);
    expect(row).toMatchObject({ status: "aborted", usageEstimated: true, instanceId: host.instance.id });
    expect(row.outputTokens).toBeGreaterThanOrEqual(estimateTokens(text.length));
    expect(row.outputTokens).toBeLessThanOrEqual(atCancel);
    // Generation stayed stopped: nothing more was produced while the row travelled to Postgres.
    expect(host.gpu.stats().tokensGenerated - before.tokensGenerated).toBe(atCancel);
  });

  it("counts every request once in instance_request_metrics, failed and aborted ones as such", async () => {
    const ok = await consume(ids.count_ok);
    expect(ok.error).toBeNull();
    await usageRowFor(stack, ids.count_ok);
    const rows = await instanceRows(stack, host.instance.id);
    const by = (s: string) => rows.filter((r) => r.status === s).length;
    expect(by("failed")).toBeGreaterThanOrEqual(2);
    expect(by("aborted")).toBeGreaterThanOrEqual(1);
    await waitFor(async () => (await instanceMetrics(stack, host.instance.id))?.totalRequests === rows.length, {
      what: "metrics to catch up",
    });
    expect(await instanceMetrics(stack, host.instance.id)).toMatchObject({
      totalRequests: rows.length,
      successfulRequests: by("succeeded"),
      failedRequests: by("failed"),
      abortedRequests: by("aborted"),
      totalInputTokens: rows.reduce((s, r) => s + r.inputTokens, 0),
      totalOutputTokens: rows.reduce((s, r) => s + r.outputTokens, 0),
    });
  });
});
