// /metrics and limits, parsed by a real Prometheus text parser: refused requests counted under
// outcome="refused" exactly as the ledger has them, and gauges for keys and organizations with limits
// only (labelled by key id, never the secret) that agree with the ledger and the limits set.
import { eq } from "drizzle-orm";
import parsePrometheusTextFormat, { type PrometheusFamily } from "parse-prometheus-text-format";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inferenceUsage, organizations } from "../../schema";
import { fromE8, toE8 } from "../../worker/usage/amount";
import { keyRows, limitedKey, limiterQuota } from "../support/limits";
import { chat, type Stack, startStack } from "../support/stack";
import { waitFor } from "../support/wait";

let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ hosts: 1 });
  await stack.database.db
    .update(organizations)
    .set({ limits: { rpm: 100 } })
    .where(eq(organizations.id, stack.tenant.orgId));
});
afterAll(() => stack?.dispose());

type Sample = PrometheusFamily["metrics"][number];
const samples = (families: PrometheusFamily[], name: string): Sample[] =>
  families.find((f) => f.name === `inventiv_router_${name}`)?.metrics ?? [];
const value = (list: Sample[], labels: Record<string, string>): number | undefined => {
  const found = list.filter((s) => Object.entries(labels).every(([k, v]) => s.labels?.[k] === v));
  if (found.length > 1) throw new Error(`${found.length} samples for ${JSON.stringify(labels)}`);
  return found[0] ? Number(found[0].value) : undefined;
};

describe("/metrics with limits", () => {
  it("counts refused requests as the ledger does and shows limited keys' remaining rate and budget", async () => {
    const k = await limitedKey(stack, {
      rpm: 2,
      tpm: 1_000,
      max_concurrent: 3,
      budget: { amount: "1", period: "day" },
    });
    const send = (key: string) =>
      stack.call("POST", "/v1/chat/completions", { key, body: chat(stack, "metrics", { max_tokens: 50 }) });
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await send(k.key)).status);
    expect(statuses).toEqual([200, 200, 429]);
    expect((await send(stack.tenant.memberKey)).status).toBe(200);

    const ledger = () =>
      stack.database.db
        .select()
        .from(inferenceUsage)
        .where(eq(inferenceUsage.consumerOrganizationId, stack.tenant.orgId));
    await waitFor(async () => (await ledger()).length === 4, { timeoutMs: 15_000, what: "4 ledger rows" });
    await waitFor(async () => (await limiterQuota(stack, { kind: "key", id: k.id })).inflight === 0, {
      timeoutMs: 15_000,
      what: "settlement",
    });

    const text = await (await stack.call("GET", "/metrics")).text();
    const families = parsePrometheusTextFormat(text);
    const requests = samples(families, "requests_total").filter((s) => s.labels?.model === stack.model);
    expect(requests.reduce((n, s) => n + Number(s.value), 0)).toBe(4);
    expect(value(requests, { status: "429", outcome: "refused" })).toBe(1);
    expect((await ledger()).filter((r) => r.status === "refused")).toHaveLength(1);
    expect(value(requests, { status: "200", outcome: "succeeded" })).toBe(3);

    const limits = samples(families, "limit");
    const key = { scope: "key", key: k.id };
    expect(["rpm", "tpm", "max_concurrent", "budget"].map((limit) => value(limits, { ...key, limit }))).toEqual([
      2, 1_000, 3, 1,
    ]);
    expect(value(limits, { scope: "org", limit: "rpm" })).toBe(100);
    // Only keys with limits have series: the tenant's own keys have none.
    expect(new Set(limits.filter((s) => s.labels?.scope === "key").map((s) => s.labels?.key))).toEqual(new Set([k.id]));
    expect(text).not.toContain(k.key);

    const served = (await keyRows(stack, k.id)).filter((r) => r.status === "succeeded");
    const tokens = served.reduce((n, r) => n + r.totalTokens, 0);
    const spent = served.reduce((n, r) => n + toE8(r.chargedAmount), 0n);
    expect(value(samples(families, "limit_remaining_requests"), key)).toBe(0);
    expect(value(samples(families, "limit_remaining_requests"), { scope: "org" })).toBe(97);
    expect(value(samples(families, "limit_remaining_tokens"), key)).toBe(1_000 - tokens);
    expect(value(samples(families, "limit_remaining_budget"), key)).toBe(Number(fromE8(toE8("1") - spent)));
    expect(value(samples(families, "limit_inflight"), key)).toBe(0);
    expect(value(samples(families, "limit_remaining_tokens"), { scope: "org" })).toBeUndefined();
  });
});
