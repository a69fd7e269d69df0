// GET /usage and GET /usage/requests against the real ledger: totals equal the rows they sum,
// pages walk every row once, and the plans use the ledger's index, never a sequential scan.
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inferenceUsage } from "../../schema";
import { ledgerQuery, usageTotalsQuery } from "../../worker/usage/report";
import { createOffering, uniqueSlug } from "../support/fixtures";
import { chat, type Stack, startStack } from "../support/stack";
import { type UsageRow, usageRowFor } from "../support/usage";

let stack: Stack;
let rows: UsageRow[];
let otherKey: { id: string; key: string };
let offering: string;
const from = new Date(Date.now() - 60_000);

interface Totals {
  group: string | null;
  requests: number;
  succeeded: number;
  failed: number;
  aborted: number;
  refused: number;
  input_tokens: number;
  output_tokens: number;
  cost: string;
}

async function json<T>(res: Response, status = 200): Promise<T> {
  const body = await res.text();
  expect(res.status, body).toBe(status);
  return JSON.parse(body) as T;
}

/** Exact sum of numeric(18, 8) strings. */
function decimalSum(values: string[]): bigint {
  return values.reduce((acc, v) => {
    const [whole = "0", frac = ""] = v.split(".");
    return acc + BigInt(whole) * 100_000_000n + BigInt(`${frac}00000000`.slice(0, 8));
  }, 0n);
}
const asScaled = (cost: string) => decimalSum([cost]);

beforeAll(async () => {
  stack = await startStack({ hosts: 1, priceInputPer1k: "0.333333", priceOutputPer1k: "1.777777" });
  otherKey = await json(await stack.call("POST", "/api-keys", { body: { name: "second" } }), 201);
  const code = uniqueSlug("rep");
  await createOffering(stack.database.db, {
    orgId: stack.tenant.orgId,
    modelUuid: stack.modelUuid,
    code,
    priceInputPer1k: "0.1",
  });
  offering = `${stack.tenant.slug}/${code}`;
  const sends: [string, string, string][] = [
    [stack.tenant.memberKey, stack.model, "Hello there"],
    [stack.tenant.memberKey, stack.model, "A somewhat longer prompt"],
    [stack.tenant.memberKey, offering, "Via the offering"],
    [otherKey.key, stack.model, "From the second key"],
    [otherKey.key, stack.model, "Again"],
  ];
  const ids: string[] = [];
  for (const [i, [key, model, content]] of sends.entries()) {
    const id = `rep-${code}-${i}`;
    ids.push(id);
    const res = await stack.call("POST", "/v1/chat/completions", {
      key,
      body: { ...chat(stack, content), model },
      headers: { "x-request-id": id },
    });
    expect(res.status).toBe(200);
    await res.text();
  }
  rows = [];
  for (const id of ids) rows.push(await usageRowFor(stack, id));
}, 60_000);
afterAll(() => stack?.dispose());

const window = () => `from=${from.toISOString()}&to=${Math.floor(Date.now() / 1000) + 60}`;

describe("GET /usage", () => {
  it("totals equal the ledger rows they summarize, cost exact", async () => {
    const report = await json<{ data: Totals[]; group_by: null }>(await stack.call("GET", `/usage?${window()}`));
    expect(report.data).toHaveLength(1);
    const [total] = report.data;
    expect(total).toEqual({
      group: null,
      requests: rows.length,
      succeeded: rows.length,
      failed: 0,
      aborted: 0,
      refused: 0,
      input_tokens: rows.reduce((n, r) => n + r.inputTokens, 0),
      output_tokens: rows.reduce((n, r) => n + r.outputTokens, 0),
      cost: expect.any(String),
    });
    expect(asScaled(total!.cost)).toBe(decimalSum(rows.map((r) => r.chargedAmount)));
    expect(total!.cost).toMatch(/^\d+\.\d{8}$/);
  });

  it("groups by key, model, offering and day", async () => {
    const byKey = await json<{ data: Totals[] }>(await stack.call("GET", `/usage?${window()}&group_by=key`));
    const second = byKey.data.find((g) => g.group === otherKey.id);
    expect(second?.requests).toBe(2);
    expect(asScaled(second!.cost)).toBe(
      decimalSum(rows.filter((r) => r.apiKeyId === otherKey.id).map((r) => r.chargedAmount)),
    );
    expect(byKey.data.reduce((n, g) => n + g.requests, 0)).toBe(rows.length);

    const byModel = await json<{ data: Totals[] }>(await stack.call("GET", `/usage?${window()}&group_by=model`));
    expect(byModel.data.map((g) => [g.group, g.requests])).toEqual([[stack.model, rows.length]]);
    const byOffering = await json<{ data: Totals[] }>(await stack.call("GET", `/usage?${window()}&group_by=offering`));
    expect(byOffering.data.map((g) => g.requests).sort()).toEqual([1, 4]);
    const byDay = await json<{ data: Totals[] }>(await stack.call("GET", `/usage?${window()}&group_by=day`));
    expect(byDay.data.reduce((n, g) => n + g.requests, 0)).toBe(rows.length);
    expect(byDay.data[0]?.group).toMatch(/^\d{4}-\d\d-\d\dT00:00:00Z$/);
  });

  it("refuses a bad group_by or window with the field as param, and member keys", async () => {
    const bad = await json<{ error: { param: string } }>(await stack.call("GET", "/usage?group_by=colour"), 400);
    expect(bad.error.param).toBe("group_by");
    const badFrom = await json<{ error: { param: string } }>(await stack.call("GET", "/usage?from=yesterday"), 400);
    expect(badFrom.error.param).toBe("from");
    expect((await stack.call("GET", "/usage", { key: stack.tenant.memberKey })).status).toBe(403);
  });
});

describe("GET /usage/requests", () => {
  it("walks every ledger row once with the cursor, newest first", async () => {
    const seen: { request_id: string; cost: string; offering: string | null; x_request_id: string }[] = [];
    let cursor: string | null = null;
    do {
      const page: { data: (typeof seen)[number][]; next_cursor: string | null } = await json(
        await stack.call(
          "GET",
          `/usage/requests?${window()}&limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`,
        ),
      );
      expect(page.data.length).toBeLessThanOrEqual(2);
      seen.push(...page.data);
      cursor = page.next_cursor;
    } while (cursor);
    expect(seen.map((r) => r.request_id)).toEqual(
      [...rows]
        .sort((a, b) => b.occurredAt.getTime() - a.occurredAt.getTime() || (a.id < b.id ? 1 : -1))
        .map((r) => r.requestId),
    );
    const viaOffering = seen.filter((r) => r.offering === offering);
    expect(viaOffering).toHaveLength(1);
    expect(viaOffering[0]?.x_request_id).toMatch(/-2$/);
  });

  it("filters by key and status, and refuses a forged cursor", async () => {
    const byKey = await json<{ data: { api_key_id: string }[] }>(
      await stack.call("GET", `/usage/requests?${window()}&key_id=${otherKey.id}`),
    );
    expect(byKey.data.map((r) => r.api_key_id)).toEqual([otherKey.id, otherKey.id]);
    const failed = await json<{ data: unknown[] }>(
      await stack.call("GET", `/usage/requests?${window()}&status=failed`),
    );
    expect(failed.data).toEqual([]);
    const forged = await json<{ error: { code: string } }>(
      await stack.call("GET", "/usage/requests?cursor=bm9wZQ"),
      400,
    );
    expect(forged.error.code).toBe("invalid_cursor");
  });
});

describe("query plans", () => {
  type PlanNode = { "Node Type": string; "Relation Name"?: string; "Index Name"?: string; Plans?: PlanNode[] };
  const nodes = (n: PlanNode): PlanNode[] => [n, ...(n.Plans ?? []).flatMap(nodes)];

  /** The plan of exactly the query the route runs, with sequential scans priced out as the planner would on a big ledger. */
  async function planOf(query: { toSQL(): { sql: string; params: unknown[] } }): Promise<PlanNode[]> {
    const { sql, params } = query.toSQL();
    const client = await stack.database.pool.connect();
    try {
      await client.query("begin");
      await client.query("set local enable_seqscan = off");
      const result = await client.query<{ "QUERY PLAN": { Plan: PlanNode }[] }>(`explain (format json) ${sql}`, params);
      await client.query("rollback");
      return nodes(result.rows[0]!["QUERY PLAN"][0]!.Plan);
    } finally {
      client.release();
    }
  }

  const ledgerScans = (plan: PlanNode[]) => plan.filter((n) => n["Relation Name"] === "inference_usage");

  it("reads the ledger through its organization index for every grouping and for pages", async () => {
    const w = { organizationId: stack.tenant.orgId, from, to: new Date(Date.now() + 60_000) };
    const queries = [
      usageTotalsQuery(stack.database.db, w, null),
      ...(["model", "key", "instance", "offering", "day", "hour"] as const).map((g) =>
        usageTotalsQuery(stack.database.db, w, g),
      ),
      ledgerQuery(stack.database.db, { ...w, limit: 100 }),
      ledgerQuery(stack.database.db, {
        ...w,
        limit: 100,
        status: "succeeded",
        before: { occurredAt: new Date().toISOString(), id: rows[0]!.id },
      }),
    ];
    for (const query of queries) {
      const scans = ledgerScans(await planOf(query));
      expect(scans.length, query.toSQL().sql).toBeGreaterThan(0);
      for (const scan of scans) {
        expect(scan["Node Type"], query.toSQL().sql).not.toBe("Seq Scan");
        expect(scan["Index Name"], query.toSQL().sql).toBe("inference_usage_org_occurred");
      }
    }
    // The rows the plans were checked against are really there.
    expect(
      (await stack.database.db.select().from(inferenceUsage).where(eq(inferenceUsage.apiKeyId, otherKey.id))).length,
    ).toBe(2);
  });
});
