// Never lost: Postgres becomes unreachable (the router's own DB proxy stops) while 200 requests
// flow. Clients notice nothing; usage waits in the outbox and reaches Postgres once it is back,
// exactly once per request, with instance_request_metrics equal to the rows. The outage outlasts
// the router's key and catalog memos, so serving them stale-if-error is part of what is tested.
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startWsProxy, type WsProxy } from "../../dev/ws-proxy";
import { uniqueSlug } from "../support/fixtures";
import { type Stack, startStack } from "../support/stack";
import { instanceMetrics, instanceRows, outboxStatus, usageRowFor, usageRowsWithPrefix } from "../support/usage";
import { waitFor } from "../support/wait";

const REQUESTS = 200;
const CONCURRENCY = 20;
/** Memos this short expire during the outage: keys and catalog must be served stale. */
const MEMO_MS = 300;

let proxy: WsProxy;
let stack: Stack;
let client: OpenAI;

beforeAll(async () => {
  proxy = await startWsProxy();
  stack = await startStack({
    hosts: 2,
    wsProxy: proxy.address,
    vars: { AUTH_CACHE_TTL_MS: String(MEMO_MS), CATALOG_TTL_MS: String(MEMO_MS), USAGE_FLUSH_MAX_BACKOFF_MS: "1000" },
  });
  client = new OpenAI({ baseURL: stack.baseURL, apiKey: stack.tenant.memberKey, maxRetries: 0 });
});
afterAll(async () => {
  await stack?.dispose();
  await proxy?.stop();
});

/** One request the way a client makes it; throws unless it completed cleanly. */
async function call(id: string, i: number): Promise<void> {
  const messages = [{ role: "user" as const, content: `request ${i} during the outage` }];
  if (i % 2 === 0) {
    const data = await client.chat.completions.create(
      { model: stack.model, messages },
      { headers: { "X-Request-Id": id } },
    );
    if (!data.choices[0]?.message.content?.includes(`request ${i}`)) throw new Error(`bad answer for ${id}`);
    return;
  }
  const stream = await client.chat.completions.create(
    { model: stack.model, messages, stream: true },
    { headers: { "X-Request-Id": id } },
  );
  let text = "";
  for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? "";
  if (!text.includes(`request ${i}`)) throw new Error(`bad stream for ${id}`);
}

describe("a Postgres outage during traffic", () => {
  it("loses no usage and counts none twice", { timeout: 120_000 }, async () => {
    // Warm the isolate (key, catalog) and prove the ledger path works before the outage.
    const warm = uniqueSlug("req-outage-warm");
    await call(warm, 0);
    await usageRowFor(stack, warm);

    await proxy.pause();
    await new Promise((r) => setTimeout(r, 3 * MEMO_MS)); // let the memos expire
    const prefix = uniqueSlug("req-outage");
    const outcomes: PromiseSettledResult<void>[] = [];
    for (let next = 0; next < REQUESTS; next += CONCURRENCY) {
      const batch = Array.from({ length: Math.min(CONCURRENCY, REQUESTS - next) }, (_, k) =>
        call(`${prefix}-${next + k}`, next + k),
      );
      outcomes.push(...(await Promise.allSettled(batch)));
    }
    const failures = outcomes
      .filter((o) => o.status === "rejected")
      .map((o) => String((o as PromiseRejectedResult).reason));
    expect(failures).toEqual([]);
    expect(outcomes).toHaveLength(REQUESTS);

    // GPU hosts keep reporting (their token memo is served stale too), so they stay routable.
    for (const { instance } of stack.hosts) {
      const beat = await fetch(`${stack.router.url}/internal/worker/heartbeat`, {
        method: "POST",
        headers: { authorization: `Bearer ${instance.token}`, "content-type": "application/json" },
        body: JSON.stringify({ instance_id: instance.id, status: "ready", queue_depth: 0 }),
      });
      expect(beat.status).toBe(200);
    }

    // /health says the router is up but cannot reach Postgres.
    const health = await fetch(`${stack.router.url}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: "degraded", database: { status: "unreachable" } });

    // Nothing reached Postgres; every event is held durably at the edge.
    await waitFor(async () => (await outboxStatus(stack)).backlog === REQUESTS, { what: "all events in the outbox" });
    await proxy.resume();
    expect(await usageRowsWithPrefix(stack, prefix)).toEqual([]);
    // /health's verdict is shared for a second, not kept: it says ok again once Postgres answers.
    await waitFor(
      async () => ((await (await fetch(`${stack.router.url}/health`)).json()) as { status: string }).status === "ok",
      {
        timeoutMs: 15_000,
        what: "/health to be ok again",
      },
    );
    expect(await (await fetch(`${stack.router.url}/health`)).json()).toMatchObject({
      status: "ok",
      database: { status: "ok" },
    });

    await waitFor(async () => (await usageRowsWithPrefix(stack, prefix)).length >= REQUESTS, {
      timeoutMs: 60_000,
      what: "the backlog to reach Postgres",
    });
    await waitFor(async () => (await outboxStatus(stack)).backlog === 0, { what: "the outbox to empty" });
    const rows = await usageRowsWithPrefix(stack, prefix);
    expect(rows).toHaveLength(REQUESTS);
    expect(new Set(rows.map((r) => (r.metadata as { x_request_id: string }).x_request_id)).size).toBe(REQUESTS);
    expect(new Set(rows.map((r) => r.requestId)).size).toBe(REQUESTS);
    expect(rows.every((r) => r.status === "succeeded" && !r.usageEstimated)).toBe(true);
    expect(await outboxStatus(stack)).toEqual({ backlog: 0, full: false, deadLettered: 0 });

    for (const { instance } of stack.hosts) {
      const all = await instanceRows(stack, instance.id);
      expect(await instanceMetrics(stack, instance.id)).toMatchObject({
        totalRequests: all.length,
        successfulRequests: all.length,
        failedRequests: 0,
        totalInputTokens: all.reduce((s, r) => s + r.inputTokens, 0),
        totalOutputTokens: all.reduce((s, r) => s + r.outputTokens, 0),
        totalTokens: all.reduce((s, r) => s + r.totalTokens, 0),
      });
    }
  });
});
