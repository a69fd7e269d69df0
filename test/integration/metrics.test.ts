// GET /metrics: parsed by a real Prometheus text parser; its counters grow by exactly the requests
// sent and agree with the ledger row for row, its histograms with the ledger's durations, its
// gauges with the live fleet. Who may read it: the METRICS_TOKEN bearer (every organization) or an
// organization's admin key (that organization only).
import { eq } from "drizzle-orm";
import OpenAI from "openai";
import parsePrometheusTextFormat, { type PrometheusFamily } from "parse-prometheus-text-format";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inferenceUsage } from "../../schema";
import { BUCKETS_MS, leLabel } from "../../worker/metrics/buckets";
import { chargedAmount } from "../../worker/usage/event";
import { type Stack, startStack } from "../support/stack";
import { waitFor } from "../support/wait";

const TOKEN = "metrics-token-for-tests";
let stack: Stack;
let client: OpenAI;

beforeAll(async () => {
  stack = await startStack({ hosts: 1, vars: { METRICS_TOKEN: TOKEN } });
  client = new OpenAI({ baseURL: stack.baseURL, apiKey: stack.tenant.memberKey, maxRetries: 0 });
});
afterAll(() => stack?.dispose());

const scrapeText = async (key = stack.tenant.adminKey): Promise<string> => {
  const res = await stack.call("GET", "/metrics", { key });
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
  return res.text();
};
const scrape = async (key?: string): Promise<PrometheusFamily[]> => parsePrometheusTextFormat(await scrapeText(key));

/**
 * One series of a histogram, read by the parser. It folds every series of a labelled histogram
 * into one and drops their _sum and _count, so it is given this model's series alone, `le` its only label.
 */
function histogramOf(text: string, name: string): Sample {
  const full = `inventiv_router_${name}`;
  const lines = text
    .split("\n")
    .filter(
      (l) =>
        l.startsWith(`# HELP ${full} `) ||
        l.startsWith(`# TYPE ${full} `) ||
        (l.startsWith(full) && l.includes(`model="${stack.model}"`)),
    )
    .map((l) => l.replace(/org="[^"]*",model="[^"]*",?/, "").replace("{}", ""));
  const [family] = parsePrometheusTextFormat(`${lines.join("\n")}\n`);
  return family!.metrics[0] as Sample;
}

type Sample = PrometheusFamily["metrics"][number] & {
  buckets?: Record<string, string>;
  count?: string;
  sum?: string;
};
const family = (families: PrometheusFamily[], name: string): Sample[] =>
  (families.find((f) => f.name === `inventiv_router_${name}`)?.metrics ?? []) as Sample[];
const ours = (samples: Sample[]) => samples.filter((s) => s.labels?.model === stack.model);
const total = (samples: Sample[]) => samples.reduce((a, s) => a + Number(s.value), 0);

const ledger = () =>
  stack.database.db.select().from(inferenceUsage).where(eq(inferenceUsage.consumerOrganizationId, stack.tenant.orgId));

async function send(n: { json: number; stream: number; refused: number }): Promise<void> {
  const messages = [{ role: "user" as const, content: "count me in the metrics" }];
  for (let i = 0; i < n.json; i++) await client.chat.completions.create({ model: stack.model, messages });
  for (let i = 0; i < n.stream; i++) {
    const stream = await client.chat.completions.create({ model: stack.model, messages, stream: true });
    for await (const _ of stream);
  }
  if (n.refused > 0) {
    stack.hosts[0]!.gpu.setFaults({ status: 400 });
    for (let i = 0; i < n.refused; i++)
      await expect(client.chat.completions.create({ model: stack.model, messages })).rejects.toThrow();
    stack.hosts[0]!.gpu.setFaults({});
  }
}

const sentSoFar = async (n: number) =>
  waitFor(async () => (await ledger()).length === n, { timeoutMs: 15_000, what: `${n} ledger rows` });

describe("GET /metrics", () => {
  it("counts exactly the requests sent, by status and outcome, and agrees with the ledger", async () => {
    const before = total(ours(family(await scrape(), "requests_total")));
    expect(before).toBe(0);
    await send({ json: 3, stream: 2, refused: 1 });
    await sentSoFar(6);
    let families = await scrape();
    const requests = ours(family(families, "requests_total"));
    expect(total(requests)).toBe(6);
    const by = (status: string, outcome: string) =>
      total(requests.filter((s) => s.labels?.status === status && s.labels?.outcome === outcome));
    expect(by("200", "succeeded")).toBe(5);
    expect(by("400", "failed")).toBe(1);
    expect(requests.every((s) => s.labels?.org === stack.tenant.slug)).toBe(true);

    // Second round: the counter grows by exactly what was sent.
    await send({ json: 2, stream: 1, refused: 0 });
    await sentSoFar(9);
    families = await scrape();
    expect(total(ours(family(families, "requests_total")))).toBe(9);

    const rows = await ledger();
    const tokens = ours(family(families, "tokens_total"));
    const tokensOf = (direction: string) => total(tokens.filter((s) => s.labels?.direction === direction));
    expect(tokensOf("input")).toBe(rows.reduce((a, r) => a + r.inputTokens, 0));
    expect(tokensOf("output")).toBe(rows.reduce((a, r) => a + r.outputTokens, 0));
    expect(tokensOf("output")).toBeGreaterThan(0);
    const charged = rows.reduce(
      (a, r) => a + Number(chargedAmount(r, r.unitPriceInputPer1k, r.unitPriceOutputPer1k)),
      0,
    );
    expect(total(ours(family(families, "cost_total")))).toBeCloseTo(charged, 8);
  });

  it("histograms hold every ledger row: counts, sums and buckets match its durations", async () => {
    const text = await scrapeText();
    parsePrometheusTextFormat(text); // the whole exposition parses
    const rows = await ledger();
    const durations = rows.map((r) => Number(r.metadata.duration_ms));
    const duration = histogramOf(text, "request_duration_seconds");
    expect(Number(duration!.count)).toBe(rows.length);
    expect(Number(duration!.sum)).toBeCloseTo(durations.reduce((a, b) => a + b, 0) / 1000, 6);
    for (const le of BUCKETS_MS.duration)
      expect(Number(duration!.buckets![leLabel(le)])).toBe(durations.filter((d) => d <= le).length);
    expect(Number(duration!.buckets!["+Inf"])).toBe(rows.length);

    // Time to first token: streams only (3 of them), as the ledger's ttft_ms says.
    const ttfts = rows.flatMap((r) => (typeof r.metadata.ttft_ms === "number" ? [r.metadata.ttft_ms] : []));
    expect(ttfts).toHaveLength(3);
    const ttft = histogramOf(text, "time_to_first_token_seconds");
    expect(Number(ttft!.count)).toBe(3);
    expect(Number(ttft!.sum)).toBeCloseTo(ttfts.reduce((a, b) => a + b, 0) / 1000, 6);
    for (const le of BUCKETS_MS.ttft)
      expect(Number(ttft!.buckets![leLabel(le)])).toBe(ttfts.filter((d) => d <= le).length);
  });

  it("gauges show the live fleet and the outbox", async () => {
    const families = await scrape();
    const host = stack.hosts[0]!.instance.id;
    const gauge = (name: string) => ours(family(families, name)).find((s) => s.labels?.instance === host)?.value;
    expect(gauge("host_up")).toBe("1");
    expect(gauge("host_routable")).toBe("1");
    expect(gauge("host_inflight")).toBe("0");
    expect(gauge("host_breaker_state")).toBe("0");
    expect(gauge("host_live_load")).toBeDefined();
    // The mock host heartbeats its engine's queue: nothing waiting or running once the requests ended.
    expect(gauge("host_waiting")).toBe("0");
    expect(gauge("host_running")).toBe("0");
    expect(family(families, "usage_outbox_backlog").map((s) => s.labels?.shard)).toEqual(["0", "1", "2", "3"]);
  });

  it("the METRICS_TOKEN sees every organization; an admin key only its own; others are refused", async () => {
    const other = await startStack({ hosts: 0, vars: { METRICS_TOKEN: TOKEN } });
    try {
      // Another tenant's admin sees none of this tenant's series.
      const theirs = await other.call("GET", "/metrics", { key: other.tenant.adminKey });
      expect(theirs.status).toBe(200);
      expect(await theirs.text()).not.toContain(stack.tenant.slug);
    } finally {
      await other.dispose();
    }
    const all = await scrape(TOKEN);
    expect(total(ours(family(all, "requests_total")))).toBe(9);
    expect((await stack.call("GET", "/metrics", { key: stack.tenant.memberKey })).status).toBe(403);
    expect((await stack.call("GET", "/metrics", { key: "not-the-token" })).status).toBe(401);
    expect((await stack.call("GET", "/metrics", { key: "" })).status).toBe(401);
  });
});
