// Failover against real mock GPU hosts: a host killed mid-traffic, a hung host, a host refusing
// with 400 (passed through, not retried), and the circuit breaker ejecting then probing back.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chatOnce, getInstance, type Served } from "../support/fleet";
import { chat, type Stack, startStack } from "../support/stack";
import { usageRowFor } from "../support/usage";
import { waitFor } from "../support/wait";

/** Makes `host` the preferred choice by giving every other host a reported queue. */
async function prefer(stack: Stack, hostIndex: number): Promise<void> {
  for (const [i, h] of stack.hosts.entries()) {
    h.gpu.setReportedQueueDepth(i === hostIndex ? 0 : 5);
    await h.gpu.heartbeatNow();
  }
}

describe("a host killed while traffic flows", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ hosts: 3, host: { tokenDelayMs: 10 } });
  });
  afterAll(() => stack?.dispose());

  it("costs the clients of non-streamed requests nothing: every request is answered 200", async () => {
    const victim = stack.hosts[0]!;
    const results: Served[] = [];
    let next = 0;
    let killed = false;
    const client = async () => {
      while (next < 60) {
        const i = next++;
        if (i === 20 && !killed) {
          killed = true;
          await waitFor(() => victim.gpu.stats().inflight > 0, { what: "a request in flight on the victim" });
          await victim.gpu.close();
        }
        results.push(await chatOnce(stack, { content: `request ${i}`, extra: { max_tokens: 8 } }));
      }
    };
    await Promise.all(Array.from({ length: 6 }, client));
    expect(killed).toBe(true);
    expect(results.filter((r) => r.status !== 200).map((r) => r.body)).toEqual([]);
    expect(results).toHaveLength(60);
    // Some were cut on the victim and answered elsewhere; none after the kill went to it.
    expect(victim.gpu.stats().completed).toBeLessThan(victim.gpu.stats().requests);
    // The dead host is out of routing, by its breaker or by its failed probes, whichever came first.
    const after = await getInstance(stack, victim.instance.id);
    expect(after.live?.routable).toBe(false);
  });
});

describe("a host killed while streams wait for their first token", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ hosts: 3, host: { ttftMs: 150, tokenDelayMs: 5 } });
  });
  afterAll(() => stack?.dispose());

  it("retries every stream that had sent nothing yet; only streams already under way see the cut", async () => {
    const victim = stack.hosts[0]!;
    const results: Served[] = [];
    let next = 0;
    const client = async () => {
      while (next < 48) {
        const i = next++;
        if (i === 18) {
          // close() destroys the sockets in the same microtask run as this check: no prefill timer
          // can fire in between, so at least two streams die before their first token.
          await waitFor(() => victim.gpu.stats().prefilling >= 2, {
            what: "streams in first-token wait on the victim",
          });
          await victim.gpu.close();
        }
        results.push(await chatOnce(stack, { content: `stream ${i}`, extra: { stream: true } }));
      }
    };
    await Promise.all(Array.from({ length: 6 }, client));
    expect(results.map((r) => r.status)).toEqual(Array(48).fill(200));
    const cut = results.filter((r) => !r.body.includes("data: [DONE]"));
    for (const r of cut) {
      // An error event is acceptable only after the client already had part of the answer.
      expect(r.body.indexOf("chat.completion.chunk")).toBeGreaterThanOrEqual(0);
      expect(r.body.indexOf('"error"')).toBeGreaterThan(r.body.indexOf("chat.completion.chunk"));
    }
    // The victim's streams that died in their first-token wait (at least two) went elsewhere.
    expect(victim.gpu.stats().cancelled).toBeGreaterThanOrEqual(cut.length + 2);
  });
});

describe("a hung host", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ hosts: 2, vars: { UPSTREAM_TIMEOUT_MS: "700", UPSTREAM_GENERATION_TIMEOUT_MS: "700" } });
  });
  afterAll(() => stack?.dispose());

  it("times out, and the request is retried on another host", async () => {
    const [hung, good] = stack.hosts;
    hung!.gpu.setFaults({ hang: true });
    await prefer(stack, 0);
    const res = await chatOnce(stack, { session: "hung-session" });
    expect(res.status).toBe(200);
    expect(res.instance).toBe(good!.instance.id);
    expect(hung!.gpu.stats().requests).toBe(1);
    await waitFor(() => hung!.gpu.stats().inflight === 0, { what: "the hung request to be abandoned" });
    // The session follows the worker that actually served it.
    const detail = (await (await stack.call("GET", "/v1/sessions/hung-session")).json()) as {
      instance_id: string;
      pin: { repins: { reason: string }[] };
    };
    expect(detail.instance_id).toBe(good!.instance.id);
    expect(detail.pin.repins.map((r) => r.reason)).toEqual(["first_request", "failover"]);
  });
});

describe("a host answering 4xx, and the circuit breaker", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ hosts: 2, vars: { BREAKER_COOLDOWN_MS: "4000" } });
  });
  afterAll(() => stack?.dispose());

  it("passes a 400 through to the client and does not retry it", async () => {
    const [refusing, other] = stack.hosts;
    refusing!.gpu.setFaults({ status: 400 });
    await prefer(stack, 0);
    const res = await chatOnce(stack);
    expect(res.status).toBe(400);
    expect(res.instance).toBe(refusing!.instance.id);
    // The host's own body, untouched.
    expect(JSON.parse(res.body)).toMatchObject({ error: { message: "mock-gpu: injected HTTP 400", code: 400 } });
    expect(refusing!.gpu.stats().requests).toBe(1);
    expect(other!.gpu.stats().requests).toBe(0);
    expect((await getInstance(stack, refusing!.instance.id)).live).toMatchObject({
      routable: true,
      consecutive_failures: 0,
    });
    refusing!.gpu.setFaults({});
  });

  it("ejects a host that answered 503, serves from another, then probes it back after the cooldown", async () => {
    const [flaky, other] = stack.hosts;
    flaky!.gpu.setFaults({ failNext: { count: 1, status: 503 } });
    await prefer(stack, 0);
    const first = await chatOnce(stack);
    expect(first.status).toBe(200);
    expect(first.instance).toBe(other!.instance.id);
    expect((await getInstance(stack, flaky!.instance.id)).live).toMatchObject({
      routable: false,
      unroutable_reason: "worker_ejected",
      consecutive_failures: 1,
    });
    // Ejected: the less loaded host is skipped while it cools down.
    expect((await chatOnce(stack)).instance).toBe(other!.instance.id);
    await waitFor(async () => (await getInstance(stack, flaky!.instance.id)).live?.routable === true, {
      timeoutMs: 8_000,
      intervalMs: 250,
      what: "the cooldown to end",
    });
    const probe = await chatOnce(stack);
    expect(probe).toMatchObject({ status: 200, instance: flaky!.instance.id });
    await waitFor(async () => (await getInstance(stack, flaky!.instance.id)).live?.consecutive_failures === 0, {
      what: "the breaker to close",
    });
  });

  it("ejects a host that cut a stream mid-way; the client got the part already sent and an error event", async () => {
    const [cutter, other] = stack.hosts;
    cutter!.gpu.setFaults({ cutAfterTokens: 2 });
    await prefer(stack, 0);
    const cut = await chatOnce(stack, { extra: { stream: true } });
    expect(cut).toMatchObject({ status: 200, instance: cutter!.instance.id });
    expect(cut.body).toContain('"error"');
    expect(cut.body).not.toContain("[DONE]");
    cutter!.gpu.setFaults({});
    await waitFor(async () => (await getInstance(stack, cutter!.instance.id)).live?.consecutive_failures === 1, {
      what: "the cut to count",
    });
    expect((await getInstance(stack, cutter!.instance.id)).live).toMatchObject({
      routable: false,
      unroutable_reason: "worker_ejected",
    });
    expect((await chatOnce(stack)).instance).toBe(other!.instance.id);
  });

  it("answers a JSON request elsewhere when its host cut the body mid-way: no byte had reached the client", async () => {
    const [cutter, other] = stack.hosts;
    await waitFor(async () => (await getInstance(stack, cutter!.instance.id)).live?.routable === true, {
      what: "the cutter to be routable again",
    });
    cutter!.gpu.setFaults({ cutJsonBody: true });
    await prefer(stack, 0);
    const [cutterBefore, otherBefore] = [cutter!.gpu.stats(), other!.gpu.stats()];
    const failuresBefore = (await getInstance(stack, cutter!.instance.id)).live?.consecutive_failures ?? 0;
    const requestId = `json-cut-${crypto.randomUUID()}`;
    const res = await stack.post("/v1/chat/completions", chat(stack, "Hello"), { "x-request-id": requestId });
    cutter!.gpu.setFaults({});
    expect(res.status).toBe(200);
    expect(res.headers.get("x-inventiv-instance")).toBe(other!.instance.id);
    const answer = (await res.json()) as { object: string; usage: { completion_tokens: number } };
    expect(answer.object).toBe("chat.completion");
    expect(cutter!.gpu.stats()).toMatchObject({ requests: cutterBefore.requests + 1, cut: cutterBefore.cut + 1 });
    expect(other!.gpu.stats().requests).toBe(otherBefore.requests + 1);
    // One row, the answered attempt's: the cut one reached no client and is not billed.
    expect(await usageRowFor(stack, requestId)).toMatchObject({
      status: "succeeded",
      instanceId: other!.instance.id,
      outputTokens: answer.usage.completion_tokens,
    });
    await waitFor(
      async () => (await getInstance(stack, cutter!.instance.id)).live?.consecutive_failures === failuresBefore + 1,
      {
        what: "the cut to count against the cutter",
      },
    );
  });

  it("passes a 500 through untouched, does not retry it, and counts it against the host", async () => {
    const [, failing] = stack.hosts;
    failing!.gpu.setFaults({ failNext: { count: 1, status: 500 } });
    await prefer(stack, 1);
    const before = failing!.gpu.stats().requests;
    const res = await chatOnce(stack);
    expect(res).toMatchObject({ status: 500, instance: failing!.instance.id });
    expect(JSON.parse(res.body)).toMatchObject({
      error: { message: "mock-gpu: injected HTTP 500", type: "InternalServerError" },
    });
    expect(failing!.gpu.stats().requests).toBe(before + 1);
    await waitFor(async () => (await getInstance(stack, failing!.instance.id)).live?.consecutive_failures === 1, {
      what: "the 500 to count",
    });
  });
});

describe("a slow host", () => {
  let stack: Stack;
  beforeAll(async () => {
    // First tokens come within the stream timeout; whole answers take far longer than it.
    stack = await startStack({
      hosts: 1,
      host: { ttftMs: 250, tokenDelayMs: 40 },
      vars: { UPSTREAM_TIMEOUT_MS: "400" },
    });
  });
  afterAll(() => stack?.dispose());

  it("gets a non-streamed answer's whole generation time, not the stream timeout (its headers come last)", async () => {
    const host = stack.hosts[0]!;
    const res = await chatOnce(stack, { content: "a long enough answer to take a second", extra: { max_tokens: 15 } });
    expect(res).toMatchObject({ status: 200, instance: host.instance.id });
    expect(host.gpu.stats().requests).toBe(1);
    expect((await getInstance(stack, host.instance.id)).live).toMatchObject({
      routable: true,
      consecutive_failures: 0,
    });
  });

  it("releases the lease and records the request when the client leaves before the first byte", async () => {
    const host = stack.hosts[0]!;
    const abort = new AbortController();
    const requestId = `leaves-early-${Date.now()}`;
    const leaving = fetch(`${stack.baseURL}/chat/completions`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${stack.tenant.memberKey}`,
        "content-type": "application/json",
        "x-request-id": requestId,
      },
      body: JSON.stringify(chat(stack, "goodbye", { stream: true })),
      signal: abort.signal,
    }).catch(() => null);
    await waitFor(() => host.gpu.stats().prefilling === 1, { what: "the host to start prefilling" });
    abort.abort();
    await leaving;
    const row = await usageRowFor(stack, requestId);
    expect(row.status).toBe("aborted");
    await waitFor(async () => (await getInstance(stack, host.instance.id)).live?.inflight === 0, {
      what: "the lease to come back",
    });
    await waitFor(() => host.gpu.stats().inflight === 0, { what: "the host to see the request cancelled" });
  });
});
