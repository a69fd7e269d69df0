// Limits through the router in workerd, with real mock GPU hosts and Postgres: rpm exact under concurrent
// clients, tpm reserved at admission and settled to the counted usage, concurrency held until a stream
// ends or is aborted, a budget's hard cap under concurrent requests, an organization's limits across its
// keys, OpenAI's headers and 429s, and refused requests in the ledger at no charge.
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { organizations } from "../../schema";
import { fromE8, toE8 } from "../../worker/usage/amount";
import { createApiKey, createTenant, uniqueSlug } from "../support/fixtures";
import { keyRows, limitedKey, limiterQuota, withClients } from "../support/limits";
import { chat, type Stack, startStack } from "../support/stack";
import { waitFor } from "../support/wait";

let stack: Stack;

beforeAll(async () => {
  // Slow enough that a long stream is still generating while the test looks at it.
  stack = await startStack({ hosts: 1, host: { tokenDelayMs: 50 } });
});
afterAll(() => stack?.dispose());

interface Answer {
  status: number;
  headers: Headers;
  body: { error?: { message: string; type: string; param: string | null; code: string } };
}

async function send(key: string, body: unknown, requestId?: string): Promise<Answer> {
  const res = await stack.call("POST", "/v1/chat/completions", {
    key,
    body,
    headers: requestId ? { "x-request-id": requestId } : {},
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Answer["body"] };
}

const rowsSettled = (keyId: string, count: number) =>
  waitFor(async () => (await keyRows(stack, keyId)).length === count, {
    timeoutMs: 15_000,
    what: `${count} ledger rows`,
  });

describe("requests per minute", () => {
  it("serves exactly 30 of 45 requests from 16 concurrent clients at rpm 30; the 15 others are 429s in the ledger", async () => {
    const k = await limitedKey(stack, { rpm: 30 });
    const prefix = uniqueSlug("rpm");
    const answers = await withClients(45, 16, (i) => send(k.key, chat(stack, `rpm ${i}`), `${prefix}-${i}`));
    const served = answers.filter((a) => a.status === 200);
    const refused = answers.filter((a) => a.status === 429);
    expect([served.length, refused.length]).toEqual([30, 15]);
    // Every admission took one of the 30: the served answers saw each remaining count from 29 down to 0 once.
    const remaining = served.map((a) => Number(a.headers.get("x-ratelimit-remaining-requests"))).sort((a, b) => a - b);
    expect(remaining).toEqual(Array.from({ length: 30 }, (_, i) => i));
    for (const a of served) {
      expect(a.headers.get("x-ratelimit-limit-requests")).toBe("30");
      expect(a.headers.get("x-ratelimit-reset-requests")).toMatch(/^(\d+ms|(1m)?\d+s)$/);
      expect(a.headers.get("x-ratelimit-limit-tokens")).toBeNull();
    }
    for (const a of refused) {
      expect(a.body.error).toMatchObject({ type: "requests", code: "rate_limit_exceeded", param: null });
      expect(a.body.error?.message).toContain("limit 30, used 30");
      expect(Number(a.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
      expect(Number(a.headers.get("retry-after"))).toBeLessThanOrEqual(60);
      expect(a.headers.get("x-ratelimit-remaining-requests")).toBe("0");
      expect(a.headers.get("x-request-id")).toMatch(new RegExp(`^${prefix}-\\d+$`));
    }

    await rowsSettled(k.id, 45);
    const rows = await keyRows(stack, k.id);
    const refusedRows = rows.filter((r) => r.status === "refused");
    expect(rows.filter((r) => r.status === "succeeded")).toHaveLength(30);
    expect(refusedRows).toHaveLength(15);
    for (const r of refusedRows) {
      expect(r).toMatchObject({ chargedAmount: "0.00000000", inputTokens: 0, outputTokens: 0, instanceId: null });
      expect(r.metadata).toMatchObject({ http_status: 429, attempts: 0 });
    }
  });

  it("holds an organization's rpm across its keys, and says whose limit refused", async () => {
    const other = await createTenant(stack.database.db, "limited-org");
    await stack.database.db
      .update(organizations)
      .set({ limits: { rpm: 3 } })
      .where(sql`${organizations.id} = ${other.orgId}`);
    const keys = [other.memberKey, await createApiKey(stack.database.db, other.orgId)];
    const answers = await withClients(8, 8, (i) => send(keys[i % 2]!, chat(stack, `org ${i}`)));
    // The organization has no hosts: admitted requests get 503 no_worker_available, refused ones 429.
    const refused = answers.filter((a) => a.status === 429);
    expect(refused).toHaveLength(5);
    expect(answers.filter((a) => a.status === 503).every((a) => a.body.error?.code === "no_worker_available")).toBe(
      true,
    );
    for (const a of refused) {
      expect(a.body.error?.message).toContain("of your organization");
      expect(a.headers.get("x-ratelimit-limit-requests")).toBe("3");
    }
  });
});

describe("tokens per minute", () => {
  it("reserves prompt + max_tokens (or the default cap) at admission and settles to the counted usage", async () => {
    const k = await limitedKey(stack, { tpm: 1_000 });
    const scope = { kind: "key" as const, id: k.id };
    const body = (max_tokens?: number, stream = false, content = "Hi") => ({
      ...chat(stack, content),
      stream,
      max_tokens,
    });
    // "Hi" is 1 prompt token by the router's estimate (and the mock's count); 900 more reserved.
    const first = await send(k.key, body(900));
    expect(first.status).toBe(200);
    expect(first.headers.get("x-ratelimit-limit-tokens")).toBe("1000");
    expect(first.headers.get("x-ratelimit-remaining-tokens")).toBe("99");
    // Settled to what the host counted: 1 prompt + 1 completion token.
    await waitFor(async () => (await limiterQuota(stack, scope)).remainingTokens === 998, {
      timeoutMs: 15_000,
      what: "settlement",
    });

    // 599 characters: 150 prompt tokens, echoed as 150 tokens at 50 ms each (still streaming meanwhile).
    const long = Array.from({ length: 200 }, (_, i) => `w${i % 10}`).join(" ");
    const held = await stack.call("POST", "/v1/chat/completions", { key: k.key, body: body(200, true, long) });
    expect(held.status).toBe(200);
    expect(held.headers.get("x-ratelimit-remaining-tokens")).toBe("648");
    const refused = await send(k.key, body(900));
    expect(refused.status).toBe(429);
    expect(refused.body.error).toMatchObject({ type: "tokens", code: "rate_limit_exceeded" });
    expect(refused.body.error?.message).toContain("limit 1000, used 352, requested 901");
    // Without max_tokens the default cap (LIMITS_DEFAULT_MAX_TOKENS, 4096) is reserved.
    const uncapped = await send(k.key, body());
    expect(uncapped.body.error?.message).toContain("requested 4097");

    await held.text();
    // 2 + 150 prompt + 150 completion counted.
    await waitFor(async () => (await limiterQuota(stack, scope)).remainingTokens === 698, {
      timeoutMs: 15_000,
      what: "stream settled",
    });
    expect((await send(k.key, body(600))).status).toBe(200);
  });
});

describe("concurrency", () => {
  const long = (words: number) => Array.from({ length: words }, (_, i) => `w${i % 10}`).join(" ");

  it("holds a slot until the stream ends or its client aborts it", async () => {
    const k = await limitedKey(stack, { max_concurrent: 2 });
    const scope = { kind: "key" as const, id: k.id };
    const stream = (content: string, signal?: AbortSignal) =>
      fetch(`${stack.router.url}/v1/chat/completions`, {
        method: "POST",
        headers: { authorization: `Bearer ${k.key}`, "content-type": "application/json" },
        body: JSON.stringify({ ...chat(stack, content), stream: true }),
        signal,
      });
    // ~80 and ~500 tokens at 50 ms each: both still generating while the third request arrives.
    const ending = await stream(long(100));
    const abort = new AbortController();
    const aborted = await stream(long(600), abort.signal);
    expect([ending.status, aborted.status]).toEqual([200, 200]);
    expect((await limiterQuota(stack, scope)).inflight).toBe(2);

    const third = await send(k.key, chat(stack, "third"));
    expect(third.status).toBe(429);
    expect(third.body.error).toMatchObject({ type: "requests", code: "rate_limit_exceeded" });
    expect(third.body.error?.message).toContain("in flight");
    expect(third.headers.get("retry-after")).toBe("1");

    expect(await ending.text()).toContain("[DONE]");
    await waitFor(async () => (await limiterQuota(stack, scope)).inflight === 1, {
      timeoutMs: 15_000,
      what: "the ended stream's slot",
    });
    expect((await send(k.key, chat(stack, "fits now"))).status).toBe(200);

    abort.abort();
    await waitFor(async () => (await limiterQuota(stack, scope)).inflight === 0, {
      timeoutMs: 10_000,
      what: "the aborted stream's slot",
    });
    const both = await Promise.all([send(k.key, chat(stack, "a")), send(k.key, chat(stack, "b"))]);
    expect(both.map((a) => a.status)).toEqual([200, 200]);
  });
});

describe("budgets", () => {
  it("caps spend under 16 concurrent clients: overspent by at most one request's worst case, the rest insufficient_quota", async () => {
    const k = await limitedKey(stack, { budget: { amount: "0.1", period: "day" } });
    // "Budget test!" is 3 prompt tokens; with max_tokens 20 at 0.5 / 1.5 per 1k the worst case is 0.0315.
    const worstE8 = toE8("0.0315");
    const answers = await withClients(24, 16, () => send(k.key, { ...chat(stack, "Budget test!"), max_tokens: 20 }));
    const served = answers.filter((a) => a.status === 200);
    const refused = answers.filter((a) => a.status === 429);
    expect(served.length + refused.length).toBe(24);
    // At least until the reservations reach the cap: 0, 0.0315, 0.063, 0.0945 are all under 0.1.
    expect(served.length).toBeGreaterThanOrEqual(4);
    expect(refused.length).toBeGreaterThan(0);
    for (const a of refused) {
      expect(a.body.error).toMatchObject({ type: "insufficient_quota", code: "insufficient_quota", param: null });
      expect(Number(a.headers.get("retry-after"))).toBeGreaterThan(0);
      expect(Number(a.headers.get("retry-after"))).toBeLessThanOrEqual(86_400);
    }

    await rowsSettled(k.id, 24);
    const rows = await keyRows(stack, k.id);
    const spentE8 = rows.reduce((sum, r) => sum + toE8(r.chargedAmount), 0n);
    expect(spentE8).toBeLessThanOrEqual(toE8("0.1") + worstE8);
    expect(rows.filter((r) => r.status === "refused")).toHaveLength(refused.length);
    expect(rows.filter((r) => r.status === "refused").every((r) => r.chargedAmount === "0.00000000")).toBe(true);
    // The limiter's own spend is the ledger's.
    await waitFor(async () => (await limiterQuota(stack, { kind: "key", id: k.id })).inflight === 0, {
      timeoutMs: 15_000,
      what: "all settled",
    });
    expect(stack.logs.filter((l) => l.msg === "limiter_settle_failed")).toEqual([]);
    const left = toE8("0.1") - spentE8;
    expect((await limiterQuota(stack, { kind: "key", id: k.id })).remainingBudget).toBe(
      left < 0n ? `-${fromE8(-left)}` : fromE8(left),
    );
  });
});
