// A host that goes silent in the middle of a stream (headers and a few tokens sent, then nothing,
// the connection left open): UPSTREAM_TIMEOUT_MS bounds the silence inside an answer, not only
// before its first token. The client's stream ends with an error event and no [DONE], the router
// closes the host's connection, the host is ejected, the lease returns, and the row is failed.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { estimateTokens } from "../../worker/usage/event";
import { uniqueSlug } from "../support/fixtures";
import { getInstance } from "../support/fleet";
import { events } from "../support/mock-gpu";
import { chat, type Stack, startStack } from "../support/stack";
import { leasesInFlight, usageRowFor } from "../support/usage";
import { waitFor } from "../support/wait";

const IDLE_MS = 1_000;
let stack: Stack;

beforeAll(async () => {
  stack = await startStack({
    hosts: 2,
    // An ejection that outlasts the test: which host serves next does not depend on how slow it runs.
    vars: { UPSTREAM_TIMEOUT_MS: String(IDLE_MS), BREAKER_COOLDOWN_MS: "600000", BREAKER_MAX_COOLDOWN_MS: "600000" },
  });
});
afterAll(() => stack?.dispose());

describe("a host silent mid-stream", () => {
  it("ends the client's stream with an error event, is ejected and closed, and the request is recorded failed", async () => {
    for (const h of stack.hosts) h.gpu.setFaults({ stallAfterTokens: 3 });
    const before = new Map(stack.hosts.map((h) => [h.instance.id, h.gpu.stats()]));
    const requestId = uniqueSlug("req-stall");
    const prompt = "one two three four five six seven eight";
    const res = await stack.post("/v1/chat/completions", chat(stack, prompt, { stream: true }), {
      "x-request-id": requestId,
    });
    expect(res.status).toBe(200);
    const served = res.headers.get("x-inventiv-instance") ?? "";
    const stalled = stack.hosts.find((h) => h.instance.id === served);
    const other = stack.hosts.find((h) => h.instance.id !== served);
    expect(stalled && other).toBeTruthy();

    const evs = events(await res.text()) as { choices?: { delta: { content?: string } }[] }[];
    const content = evs.map((e) => e.choices?.[0]?.delta.content ?? "").join("");
    expect(content).toBe(prompt.slice(0, 12)); // the mock's tokens are 4 characters
    // The role chunk, 3 content chunks, then the router's error event: no usage, no [DONE].
    expect(evs).toHaveLength(5);
    expect(evs.at(-1)).toEqual({
      error: {
        message: `The GPU host stream broke: upstream idle for ${IDLE_MS} ms.`,
        type: "upstream_error",
        param: null,
        code: "upstream_stream_cut",
      },
    });

    // The router let go of the host's connection: the host saw its client leave.
    await waitFor(() => stalled?.gpu.stats().cancelled === (before.get(served)?.cancelled ?? 0) + 1, {
      what: "the stalled host to see its connection closed",
    });
    await waitFor(async () => (await leasesInFlight(stack)) === 0, { what: "the lease to return" });
    const live = (await getInstance(stack, served)).live;
    expect(live?.consecutive_failures).toBe(1);
    expect(live?.ejected_until).not.toBeNull();
    expect((await getInstance(stack, other?.instance.id ?? "")).live?.consecutive_failures).toBe(0);

    const row = await usageRowFor(stack, requestId);
    expect(row).toMatchObject({
      status: "failed",
      instanceId: served,
      usageEstimated: true,
      inputTokens: estimateTokens(prompt.length),
      outputTokens: estimateTokens(content.length),
    });

    // Ejected: the next request, faults cleared, goes to the other host.
    for (const h of stack.hosts) h.gpu.setFaults({});
    const next = await stack.post("/v1/chat/completions", chat(stack, "after the stall"));
    expect(next.status).toBe(200);
    expect(next.headers.get("x-inventiv-instance")).toBe(other?.instance.id);
    expect(stalled?.gpu.stats().requests).toBe((before.get(served)?.requests ?? 0) + 1);
  });
});
