// Usage that Postgres refuses is set aside, not lost: an organization's admin sees it over the API
// and replays it once the cause is fixed. Here the cause is an API key row deleted while the
// key's last request was still on its way to Postgres (a foreign-key violation on the ledger row).
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startWsProxy, type WsProxy } from "../../dev/ws-proxy";
import { apiKeys, inferenceUsage } from "../../schema";
import { createApiKey, sha256Hex, uniqueSlug } from "../support/fixtures";
import { chat, type Stack, startStack } from "../support/stack";
import { usageRowFor } from "../support/usage";
import { waitFor } from "../support/wait";

interface DeadLetterJson {
  request_id: string;
  x_request_id: string;
  error: string;
  event: { apiKeyId: string; organizationId: string };
}

let proxy: WsProxy;
let stack: Stack;

beforeAll(async () => {
  proxy = await startWsProxy();
  stack = await startStack({ hosts: 1, wsProxy: proxy.address, vars: { USAGE_FLUSH_MAX_BACKOFF_MS: "500" } });
});
afterAll(async () => {
  await stack?.dispose();
  await proxy?.stop();
});

const deadLetters = async (key?: string): Promise<DeadLetterJson[]> => {
  const res = await stack.call("GET", "/usage/dead-letters", { key });
  expect(res.status).toBe(200);
  return ((await res.json()) as { data: DeadLetterJson[] }).data;
};

describe("dead-lettered usage", () => {
  it("is listed for the organization's admins and replayed into Postgres once the cause is fixed", {
    timeout: 60_000,
  }, async () => {
    const { db } = stack.database;
    const key = await createApiKey(db, stack.tenant.orgId, "member");
    const [keyRow] = await db
      .select()
      .from(apiKeys)
      .where(eq(apiKeys.keyHash, await sha256Hex(key)));
    const send = (id: string) =>
      stack.post("/v1/chat/completions", chat(stack), { authorization: `Bearer ${key}`, "x-request-id": id });
    const first = uniqueSlug("req-dl-first");
    expect((await send(first)).status).toBe(200); // the router now knows the key
    await usageRowFor(stack, first);

    await proxy.pause();
    const lost = uniqueSlug("req-dl");
    const res = await send(lost);
    expect(res.status).toBe(200);
    await res.text();
    await db.delete(inferenceUsage).where(eq(inferenceUsage.apiKeyId, keyRow!.id));
    await db.delete(apiKeys).where(eq(apiKeys.id, keyRow!.id));
    await proxy.resume();

    let listed: DeadLetterJson[] = [];
    await waitFor(
      async () => {
        listed = await deadLetters();
        return listed.some((d) => d.x_request_id === lost);
      },
      {
        timeoutMs: 20_000,
        what: "the dead letter",
      },
    );
    const letter = listed.find((d) => d.x_request_id === lost)!;
    expect(letter.error).toMatch(/^23503 /);
    expect(letter.event).toMatchObject({ apiKeyId: keyRow!.id, organizationId: stack.tenant.orgId });
    // Admins only, and only their own organization's.
    expect((await stack.call("GET", "/usage/dead-letters", { key: stack.tenant.memberKey })).status).toBe(403);

    await db.insert(apiKeys).values(keyRow!);
    const replay = await stack.call("POST", "/usage/dead-letters/replay");
    expect(await replay.json()).toMatchObject({ object: "usage.replay", requeued: listed.length });
    // Exactly one row (usageRowFor throws on more), attributed as the request was.
    const row = await usageRowFor(stack, lost, 20_000);
    expect(row).toMatchObject({ apiKeyId: keyRow!.id, status: "succeeded" });
    expect((await deadLetters()).some((d) => d.x_request_id === lost)).toBe(false);
  });
});
