// When the limiter cannot be reached: budgets fail closed (503 limits_unavailable, nothing sent to a host,
// a failed ledger row at no charge), rate limits as RATE_LIMIT_FAIL_MODE says (open: served without their
// headers; closed: 503). The routers here bind LIMITER to another class, so every limiter call fails in
// workerd's own RPC layer ("does not implement the method"), as a call to an unreachable object does.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { uniqueSlug } from "../support/fixtures";
import { keyRows, limitedKey } from "../support/limits";
import { chat, type Stack, startStack } from "../support/stack";
import { usageRowFor } from "../support/usage";
import { waitFor } from "../support/wait";

let open: Stack;
let closed: Stack;

beforeAll(async () => {
  [open, closed] = await Promise.all([
    startStack({ hosts: 1, classOverrides: { LIMITER: "FleetObject" } }),
    startStack({ hosts: 1, classOverrides: { LIMITER: "FleetObject" }, vars: { RATE_LIMIT_FAIL_MODE: "closed" } }),
  ]);
});
afterAll(() => Promise.all([open?.dispose(), closed?.dispose()]));

const send = (stack: Stack, key: string, requestId: string) =>
  stack.call("POST", "/v1/chat/completions", {
    key,
    body: chat(stack, "fail mode"),
    headers: { "x-request-id": requestId },
  });

const served = (stack: Stack) => stack.hosts[0]!.gpu.stats().lastRequestIds;

describe("RATE_LIMIT_FAIL_MODE=open (the default)", () => {
  it("serves a rate-limited key without its limits or headers, and logs limiter_unavailable", async () => {
    const k = await limitedKey(open, { rpm: 1, tpm: 100 });
    const id = uniqueSlug("open-rate");
    const res = await send(open, k.key, id);
    expect(res.status, await res.clone().text()).toBe(200);
    expect(res.headers.get("x-ratelimit-limit-requests")).toBeNull();
    // rpm 1 is not enforced while the limiter is unreachable.
    expect((await send(open, k.key, uniqueSlug("open-rate"))).status).toBe(200);
    expect(served(open)).toContain(id);
    await waitFor(() => open.logs.some((l) => l.msg === "limiter_unavailable" && l.request_id === id && l.served), {
      what: "the limiter_unavailable line",
    });
  });

  it("still fails a budget closed: 503 limits_unavailable, nothing sent, a failed row at no charge", async () => {
    const k = await limitedKey(open, { rpm: 100, budget: { amount: "10", period: "month" } });
    const id = uniqueSlug("open-budget");
    const res = await send(open, k.key, id);
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("5");
    expect(await res.json()).toEqual({
      error: {
        message: "Your limits cannot be checked right now, so the request was not sent; retry shortly.",
        type: "service_unavailable",
        param: null,
        code: "limits_unavailable",
      },
    });
    expect(served(open)).not.toContain(id);
    const row = await usageRowFor(open, id);
    expect(row).toMatchObject({ status: "failed", chargedAmount: "0.00000000", instanceId: null });
    expect(row.metadata).toMatchObject({ http_status: 503 });
  });
});

describe("RATE_LIMIT_FAIL_MODE=closed", () => {
  it("refuses a rate-limited key with 503 limits_unavailable and sends nothing", async () => {
    const k = await limitedKey(closed, { max_concurrent: 5 });
    const id = uniqueSlug("closed-rate");
    const res = await send(closed, k.key, id);
    expect(res.status).toBe(503);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("limits_unavailable");
    expect(served(closed)).not.toContain(id);
    await waitFor(async () => (await keyRows(closed, k.id)).length === 1, { what: "the failed row" });
  });

  it("serves a key without limits as ever: no limiter call at all", async () => {
    const id = uniqueSlug("closed-unlimited");
    const res = await send(closed, closed.tenant.memberKey, id);
    expect(res.status).toBe(200);
    expect(closed.logs.some((l) => l.msg === "limiter_unavailable" && l.request_id === id)).toBe(false);
  });
});
