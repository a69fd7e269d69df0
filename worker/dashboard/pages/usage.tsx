// Usage: requests, tokens and cost over a time range as charts, then by model, key and host.
// A member's key sees its own usage only.
import type { Context } from "hono";
import type { AppEnv } from "../../app-env";
import { withDb } from "../../db";
import { type Breakdown, type LedgerScope, type Totals, usageBy, usageSeries } from "../../usage/ledger-report";
import { BarChart } from "../chart";
import { count, money } from "../format";
import { Layout } from "../layout";
import { bucketStarts, type RangeName, rangeOf, rangeStart, ranges } from "../range";
import type { DashboardSession } from "../session";

export function scopeOf(session: DashboardSession, since: Date): LedgerScope {
  const { caller } = session;
  return {
    organizationId: caller.organizationId,
    apiKeyId: caller.role === "admin" ? undefined : caller.apiKeyId,
    since,
  };
}

export function RangePicker(props: { current: RangeName; action: string; children?: unknown }) {
  return (
    <form method="get" action={props.action} class="filters">
      <label>
        Time range
        <select name="range">
          {Object.entries(ranges).map(([name, r]) => (
            <option value={name} selected={name === props.current}>
              {r.label}
            </option>
          ))}
        </select>
      </label>
      {props.children}
      <button type="submit">Show</button>
    </form>
  );
}

function BreakdownTable(props: { title: string; rows: (Totals & { label: string })[] }) {
  return (
    <section aria-label={`Usage by ${props.title}`}>
      <h2>By {props.title}</h2>
      {props.rows.length === 0 ? (
        <p class="muted">No requests in this range.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">{props.title}</th>
              <th scope="col" class="num">
                Requests
              </th>
              <th scope="col" class="num">
                Failed
              </th>
              <th scope="col" class="num">
                Tokens
              </th>
              <th scope="col" class="num">
                Cost
              </th>
            </tr>
          </thead>
          <tbody>
            {props.rows.map((r) => (
              <tr>
                <td>{r.label}</td>
                <td class="num">{count(r.requests)}</td>
                <td class="num">{count(r.failed)}</td>
                <td class="num">{count(r.tokens)}</td>
                <td class="num">{money(r.cost)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

const BREAKDOWNS: [Breakdown, string][] = [
  ["model", "model"],
  ["key", "key"],
  ["instance", "host"],
];

export async function usagePage(c: Context<AppEnv>, session: DashboardSession) {
  const range = rangeOf(c.req.query("range"));
  const since = rangeStart(range);
  const scope = scopeOf(session, since);
  const { series, breakdowns } = await withDb(c.env, async (db) => ({
    series: await usageSeries(db, scope, ranges[range].bucket),
    breakdowns: await Promise.all(BREAKDOWNS.map(([by]) => usageBy(db, scope, by))),
  }));
  const byBucket = new Map(series.map((s) => [s.bucket, s]));
  const starts = bucketStarts(range, since);
  const bars = (pick: (t: Totals) => number) =>
    starts.map((at) => ({ at, value: byBucket.has(at) ? pick(byBucket.get(at) as Totals) : 0 }));
  const label = (at: number) =>
    new Date(at)
      .toISOString()
      .slice(range === "1h" || range === "24h" ? 11 : 5, 16)
      .replace("T", " ");
  return c.html(
    <Layout title="Usage" session={session} current="usage">
      <RangePicker current={range} action="/dashboard/usage" />
      {session.caller.role === "admin" ? null : <p class="muted">Your key's own usage.</p>}
      <BarChart title="Requests" bars={bars((t) => t.requests)} format={count} label={label} />
      <BarChart title="Tokens" bars={bars((t) => t.tokens)} format={count} label={label} />
      <BarChart title="Cost" bars={bars((t) => Number(t.cost))} format={money} label={label} />
      {BREAKDOWNS.map(([, title], i) => (
        <BreakdownTable title={title} rows={breakdowns[i] ?? []} />
      ))}
    </Layout>,
  );
}
