// Past the outbox's backlog bound the router fails closed: new inference gets 503
// `usage_backlog_full` (OpenAI shape, Retry-After) and never reaches a GPU host, so no traffic
// goes unmetered; every admitted request is still recorded, and admission resumes once the
// backlog has drained into Postgres.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startWsProxy, type WsProxy } from "../../dev/ws-proxy";
import { uniqueSlug } from "../support/fixtures";
import { chat, type Stack, startStack } from "../support/stack";
import { outboxStatus, usageRowFor, usageRowsWithPrefix } from "../support/usage";
import { waitFor } from "../support/wait";

/** Tiny on purpose: a shard counts as full once it holds more than 2 unwritten events. */
const MAX_BACKLOG = 2;
/** Fewest admissions before a shard can be past the bound: MAX_BACKLOG + 1 events in one shard. */
const OUTBOX_FULL_AT_LEAST = MAX_BACKLOG + 1;

let proxy: WsProxy;
let stack: Stack;

beforeAll(async () => {
  proxy = await startWsProxy();
  stack = await startStack({
    hosts: 1,
    wsProxy: proxy.address,
    vars: { USAGE_OUTBOX_MAX_BACKLOG: String(MAX_BACKLOG), USAGE_FLUSH_MAX_BACKOFF_MS: "500" },
  });
});
afterAll(async () => {
  await stack?.dispose();
  await proxy?.stop();
});

const send = (id: string) => stack.post("/v1/chat/completions", chat(stack, `metered ${id}`), { "x-request-id": id });

describe("the usage backlog bound", () => {
  it("refuses new inference past the bound, records everything admitted, and admits again once drained", {
    timeout: 90_000,
  }, async () => {
    const warm = uniqueSlug("req-backlog-warm");
    expect((await send(warm)).status).toBe(200);
    await usageRowFor(stack, warm);

    await proxy.pause();
    const prefix = uniqueSlug("req-backlog");
    const admitted: string[] = [];
    let refused: Response | null = null;
    // 4 shards × 2 + 1 events put some shard past the bound; the isolate learns it from enqueue.
    for (let i = 0; i < 40 && !refused; i++) {
      const id = `${prefix}-${i}`;
      const res = await send(id);
      if (res.status === 200) {
        await res.text();
        admitted.push(id);
      } else refused = res;
    }
    expect(refused?.status).toBe(503);
    expect(refused?.headers.get("retry-after")).toBe("5");
    expect(await refused?.json()).toEqual({
      error: {
        message: expect.stringContaining("metering"),
        type: "service_unavailable",
        param: null,
        code: "usage_backlog_full",
      },
    });
    expect(admitted.length).toBeGreaterThanOrEqual(OUTBOX_FULL_AT_LEAST);
    expect((await outboxStatus(stack)).full).toBe(true);

    // While full, nothing reaches a GPU host.
    const servedBefore = stack.hosts[0]!.gpu.stats().requests;
    for (let i = 0; i < 3; i++) expect((await send(`${prefix}-refused-${i}`)).status).toBe(503);
    expect(stack.hosts[0]!.gpu.stats().requests).toBe(servedBefore);

    await proxy.resume();
    await waitFor(async () => (await outboxStatus(stack)).backlog === 0, {
      timeoutMs: 30_000,
      what: "the backlog to drain",
    });
    // Refused requests make the isolate re-ask the shards (in the background); one gets through.
    let readmitted: string | null = null;
    await waitFor(
      async () => {
        const id = `${prefix}-again-${admitted.length}`;
        const res = await send(id);
        await res.text();
        if (res.status === 200) readmitted = id;
        return res.status === 200;
      },
      { timeoutMs: 30_000, intervalMs: 250, what: "admission to resume" },
    );
    admitted.push(readmitted!);

    await waitFor(async () => (await usageRowsWithPrefix(stack, prefix)).length >= admitted.length, {
      timeoutMs: 30_000,
      what: "admitted rows",
    });
    const rows = await usageRowsWithPrefix(stack, prefix);
    expect(rows.map((r) => (r.metadata as { x_request_id: string }).x_request_id).sort()).toEqual([...admitted].sort());
  });
});
