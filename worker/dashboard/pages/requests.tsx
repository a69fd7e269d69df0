// Requests: the latest ledger rows with their outcome and cost, filterable by outcome, model and range.
import type { Context } from "hono";
import { type UsageStatus, usageStatuses } from "../../../schema";
import type { AppEnv } from "../../app-env";
import { withDb } from "../../db";
import { latestRequests } from "../../usage/ledger-report";
import { count, isoSecond, money } from "../format";
import { Layout } from "../layout";
import { rangeOf, rangeStart } from "../range";
import type { DashboardSession } from "../session";
import { RangePicker, scopeOf } from "./usage";

const LIMIT = 100;

const statusOf = (raw: string | undefined): UsageStatus | undefined =>
  (usageStatuses as readonly string[]).includes(raw ?? "") ? (raw as UsageStatus) : undefined;

export async function requestsPage(c: Context<AppEnv>, session: DashboardSession) {
  const range = rangeOf(c.req.query("range"));
  const status = statusOf(c.req.query("status"));
  const model = c.req.query("model")?.trim() || undefined;
  const rows = await withDb(c.env, (db) =>
    latestRequests(db, scopeOf(session, rangeStart(range)), { status, model, limit: LIMIT }),
  );
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
        The latest {LIMIT} at most; {rows.length} shown.
      </p>
      <table>
        <thead>
          <tr>
            <th scope="col">Time (UTC)</th>
            <th scope="col">Request</th>
            <th scope="col">Endpoint</th>
            <th scope="col">Model</th>
            <th scope="col">Key</th>
            <th scope="col">Host</th>
            <th scope="col">Outcome</th>
            <th scope="col" class="num">
              In / out tokens
            </th>
            <th scope="col" class="num">
              Cost
            </th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr>
              <td>{isoSecond(r.occurredAt)}</td>
              <td>
                <code>{r.clientRequestId ?? r.requestId}</code>
              </td>
              <td>{r.endpoint}</td>
              <td>{r.model}</td>
              <td>{r.key ?? "—"}</td>
              <td>{r.host ?? "—"}</td>
              <td class={r.status === "succeeded" ? "ok" : "bad"}>{r.status}</td>
              <td class="num">
                {count(r.inputTokens)} / {count(r.outputTokens)}
                {r.estimated ? <span title="estimated: the host reported no usage"> ≈</span> : null}
              </td>
              <td class="num">{money(r.cost)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </Layout>,
  );
}
