// Usage and cost of the caller's organization (admin keys): GET /usage totals per group, exact
// decimals as strings; GET /usage/requests the ledger rows themselves, keyset-paged.
import { createRoute, z } from "@hono/zod-openapi";
import { usageStatuses } from "../../schema";
import { withDb } from "../db";
import { badRequest } from "../errors";
import { ledgerQuery, type UsageWindow, usageGroups, usageTotalsQuery } from "../usage/report";
import { parseLimit } from "./limit-param";
import { adminErrors, bearer, jsonResponse, openApiRoutes, UUID, unixSeconds } from "./openapi-app";

const DEFAULT_WINDOW_MS = 30 * 86_400_000;
const tags = ["Usage"];

const instant = z
  .string()
  .optional()
  .openapi({ description: "ISO 8601 time or Unix seconds; defaults: `to` now, `from` 30 days before `to`" });

function parseInstant(raw: string | undefined, param: string): Date | undefined {
  if (raw === undefined) return undefined;
  const at = /^\d+$/.test(raw) ? new Date(Number(raw) * 1000) : new Date(raw);
  if (Number.isNaN(at.getTime())) throw badRequest(`\`${param}\` must be an ISO 8601 time or Unix seconds.`, param);
  return at;
}

function window(organizationId: string, query: { from?: string; to?: string }): UsageWindow {
  const to = parseInstant(query.to, "to") ?? new Date();
  const from = parseInstant(query.from, "from") ?? new Date(to.getTime() - DEFAULT_WINDOW_MS);
  if (from >= to) throw badRequest("`from` must be before `to`.", "from");
  return { organizationId, from, to };
}

const TotalsRow = z
  .object({
    group: z.string().nullable().openapi({ description: "The group's value (null: no group_by, or none)" }),
    requests: z.number().int(),
    succeeded: z.number().int(),
    failed: z.number().int(),
    aborted: z.number().int(),
    refused: z.number().int().openapi({ description: "Turned away by the key's or organization's limits (429)" }),
    input_tokens: z.number().int(),
    output_tokens: z.number().int(),
    cost: z.string().openapi({ description: "Exact decimal, in currency" }),
  })
  .openapi("UsageTotals");

const LedgerRow = z
  .object({
    id: z.string(),
    object: z.literal("usage.request"),
    request_id: z.string(),
    x_request_id: z.string().nullable(),
    occurred_at: unixSeconds,
    api_key_id: z.string().nullable(),
    model: z.string(),
    offering: z.string().nullable(),
    instance_id: z.string().nullable(),
    endpoint: z.string(),
    status: z.enum(usageStatuses),
    http_status: z.number().int().nullable(),
    input_tokens: z.number().int(),
    output_tokens: z.number().int(),
    usage_estimated: z.boolean(),
    cost: z.string(),
    currency: z.string(),
    duration_ms: z.number().nullable(),
  })
  .openapi("UsageRequest");

const totals = createRoute({
  method: "get",
  path: "/usage",
  tags,
  summary: "Requests, tokens and cost of your organization, per group",
  security: bearer,
  request: { query: z.object({ from: instant, to: instant, group_by: z.enum(usageGroups).optional() }) },
  responses: {
    200: jsonResponse(
      z.object({
        object: z.literal("usage.report"),
        from: unixSeconds,
        to: unixSeconds,
        group_by: z.enum(usageGroups).nullable(),
        data: z.array(TotalsRow),
      }),
      "Totals",
    ),
    ...adminErrors,
  },
});

const requests = createRoute({
  method: "get",
  path: "/usage/requests",
  tags,
  summary: "Your organization's ledger rows, newest first",
  security: bearer,
  request: {
    query: z.object({
      from: instant,
      to: instant,
      key_id: z.string().regex(UUID, "must be an API key id").optional(),
      model: z.string().optional().openapi({ description: "A Hugging Face id" }),
      status: z.enum(usageStatuses).optional(),
      cursor: z.string().optional().openapi({ description: "The previous page's next_cursor" }),
      limit: z.string().optional().openapi({ description: "1–1000, default 100" }),
    }),
  },
  responses: {
    200: jsonResponse(
      z.object({
        object: z.literal("list"),
        data: z.array(LedgerRow),
        has_more: z.boolean(),
        next_cursor: z.string().nullable(),
      }),
      "Ledger rows",
    ),
    ...adminErrors,
  },
});

/** As Postgres prints timestamptz: "2026-12-01 21:50:12.345678+00". */
const POSTGRES_TIMESTAMPTZ = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{1,6})?[+-]\d\d(:\d\d)?$/;
const encodeCursor = (occurredAt: string, id: string) => btoa(`${occurredAt}|${id}`);
function decodeCursor(raw: string | undefined): { occurredAt: string; id: string } | undefined {
  if (raw === undefined) return undefined;
  let text = "";
  try {
    text = atob(raw);
  } catch {}
  const [occurredAt = "", id = ""] = text.split("|");
  if (!UUID.test(id) || !POSTGRES_TIMESTAMPTZ.test(occurredAt))
    throw badRequest("`cursor` is not one this API gave.", "cursor", "invalid_cursor");
  return { occurredAt, id };
}

const seconds = (d: Date) => Math.floor(d.getTime() / 1000);
const meta = (m: Record<string, unknown>, k: string) => m[k] ?? null;

export const usageRoutes = openApiRoutes()
  .openapi(totals, async (c) => {
    const q = c.req.valid("query");
    const w = window(c.get("caller").organizationId, q);
    const rows = await withDb(c.env, (db) => usageTotalsQuery(db, w, q.group_by ?? null));
    const data = rows.map((r) => ({
      group: r.group,
      requests: r.requests,
      succeeded: r.succeeded,
      failed: r.failed,
      aborted: r.aborted,
      refused: r.refused,
      input_tokens: Number(r.inputTokens),
      output_tokens: Number(r.outputTokens),
      cost: r.cost,
    }));
    const report = { from: seconds(w.from), to: seconds(w.to), group_by: q.group_by ?? null, data };
    return c.json({ object: "usage.report" as const, ...report }, 200);
  })
  .openapi(requests, async (c) => {
    const q = c.req.valid("query");
    const caller = c.get("caller");
    const limit = parseLimit(q.limit, 100, 1000);
    const filter = { ...window(caller.organizationId, q), limit, before: decodeCursor(q.cursor) };
    const rows = await withDb(c.env, (db) =>
      ledgerQuery(db, { ...filter, apiKeyId: q.key_id, model: q.model, status: q.status }),
    );
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    const data = page.map((r) => ({
      id: r.id,
      object: "usage.request" as const,
      request_id: r.requestId,
      x_request_id: meta(r.metadata, "x_request_id") as string | null,
      occurred_at: seconds(r.occurredAt),
      api_key_id: r.apiKeyId,
      model: r.model,
      offering: r.offeringCode ? `${caller.organizationSlug}/${r.offeringCode}` : null,
      instance_id: r.instanceId,
      endpoint: r.endpoint,
      status: r.status,
      http_status: meta(r.metadata, "http_status") as number | null,
      input_tokens: r.inputTokens,
      output_tokens: r.outputTokens,
      usage_estimated: r.estimated,
      cost: r.cost,
      currency: r.currency,
      duration_ms: meta(r.metadata, "duration_ms") as number | null,
    }));
    const more = rows.length > limit;
    return c.json(
      {
        object: "list" as const,
        data,
        has_more: more,
        next_cursor: more && last ? encodeCursor(last.occurredAtText, last.id) : null,
      },
      200,
    );
  });
