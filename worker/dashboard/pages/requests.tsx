// Requests: the latest ledger rows with their outcome and cost, filterable by outcome, model and range.
import type { Context } from "hono";
import { type UsageStatus, usageStatuses } from "../../../schema";
import type { AppEnv } from "../../app-env";
import { withDb } from "../../db";
import { ledgerQuery } from "../../usage/report";
import { count, isoSecond, money } from "../format";
import { Layout } from "../layout";
import { rangeOf, rangeStart } from "../range";
import type { DashboardSession } from "../session";
import { type Column, Table } from "../table";
import { RangePicker, windowOf } from "./usage";

const LIMIT = 100;

const statusOf = (raw: string | undefined): UsageStatus | undefined =>
  (usageStatuses as readonly string[]).includes(raw ?? "") ? (raw as UsageStatus) : undefined;

type Row = Awaited<ReturnType<typeof ledgerQuery>>[number];

const clientId = (r: Row) => {
  const id = r.metadata.x_request_id;
  return typeof id === "string" ? id : r.requestId;
};

const columns: Column<Row>[] = [
  { title: "Time (UTC)", cell: (r) => isoSecond(r.occurredAt) },
  { title: "Request", cell: (r) => <code>{clientId(r)}</code> },
  { title: "Endpoint", cell: (r) => r.endpoint },
  { title: "Model", cell: (r) => r.model },
  { title: "Key", cell: (r) => r.keyName ?? "—" },
  { title: "Host", cell: (r) => r.host ?? "—" },
  { title: "Outcome", field: "outcome", tone: (r) => (r.status === "succeeded" ? "ok" : "bad"), cell: (r) => r.status },
  {
    title: "In / out tokens",
    num: true,
    cell: (r) => (
      <>
        {count(r.inputTokens)} / {count(r.outputTokens)}
        {r.estimated ? <span title="estimated: the host reported no usage"> ≈</span> : null}
      </>
    ),
  },
  { title: "Cost", num: true, cell: (r) => money(r.cost) },
];

export async function requestsPage(c: Context<AppEnv>, session: DashboardSession) {
  const range = rangeOf(c.req.query("range"));
  const status = statusOf(c.req.query("status"));
  const model = c.req.query("model")?.trim() || undefined;
  const rows = await withDb(c.env, (db) =>
    ledgerQuery(db, { ...windowOf(session, rangeStart(range)), status, model, limit: LIMIT }),
  );
  const shown = rows.slice(0, LIMIT);
  return c.html(
    <Layout title="Requests" session={session} current="requests">
      <RangePicker current={range} action="/dashboard/requests">
        <label>
          Outcome
          <select name="status">
            <option value="">any</option>
            {usageStatuses.map((s) => (
              <option value={s} selected={s === status}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <label>
          Model
          <input name="model" value={model ?? ""} placeholder="Hugging Face id" />
        </label>
      </RangePicker>
      <p class="muted">
        The latest {LIMIT} at most; {shown.length} shown.
      </p>
      <Table columns={columns} rows={shown} />
    </Layout>,
  );
}
