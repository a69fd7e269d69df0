// Concurrent requests through the router in workerd: their usage events reach the outbox in fewer
// calls (and SQLite transactions) than there are requests, each exactly once in Postgres.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { uniqueSlug } from "../support/fixtures";
import { chat, type Stack, startStack } from "../support/stack";
import { outboxCounters, usageRowsWithPrefix } from "../support/usage";
import { waitFor } from "../support/wait";

const REQUESTS = 16;

let stack: Stack;
beforeAll(async () => {
  // A wide window and one prefill time for all: the 16 answers end close together even on a busy machine.
  stack = await startStack({ hosts: 1, host: { ttftMs: 200 }, vars: { USAGE_GROUP_COMMIT_MS: "100" } });
});
afterAll(() => stack?.dispose());

describe("usage hand-off by group commit", () => {
  it("concurrent requests' events arrive in fewer outbox calls and commits than requests, each row once", {
    timeout: 60_000,
  }, async () => {
    const prefix = uniqueSlug("req-group");
    const before = await outboxCounters(stack);
    const answers = await Promise.all(
      Array.from({ length: REQUESTS }, async (_, i) => {
        const res = await stack.post("/v1/chat/completions", chat(stack, `grouped ${i}`), {
          "x-request-id": `${prefix}-${i}`,
        });
        await res.text();
        return res.status;
      }),
    );
    expect(answers).toEqual(Array(REQUESTS).fill(200));
    await waitFor(async () => (await outboxCounters(stack)).events - before.events === REQUESTS, {
      what: "every event in the outbox",
    });
    const after = await outboxCounters(stack);
    const calls = after.calls - before.calls;
    expect(after.commits - before.commits).toBe(calls);
    expect(calls).toBeGreaterThan(0);
    expect(calls).toBeLessThan(REQUESTS);

    await waitFor(async () => (await usageRowsWithPrefix(stack, prefix)).length === REQUESTS, {
      timeoutMs: 30_000,
      what: "every row in Postgres",
    });
    const ids = (await usageRowsWithPrefix(stack, prefix)).map(
      (r) => (r.metadata as { x_request_id: string }).x_request_id,
    );
    expect(ids.sort()).toEqual(Array.from({ length: REQUESTS }, (_, i) => `${prefix}-${i}`).sort());
    // The request that sent a group (or a batch of releases) held it; no other request waited on that I/O,
    // which workerd cannot do: it cancels such a wait and warns.
    expect(stack.runtimeLines.filter((l) => l.includes("different request context"))).toEqual([]);
  });
});
