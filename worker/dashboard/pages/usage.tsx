// Usage: requests, tokens and cost over a time range as charts, then by model, key and host.
// A member's key sees its own usage only.
import type { Context } from "hono";
import type { AppEnv } from "../../app-env";
import { withDb } from "../../db";
import {
  type UsageGroup,
  type UsageTotals,
  type UsageWindow,
  usageSeriesQuery,
  usageTotalsQuery,
} from "../../usage/report";
import { BarChart } from "../chart";
import { count, money } from "../format";
import { Layout } from "../layout";
import { bucketStarts, type RangeName, rangeOf, rangeStart, ranges } from "../range";
import type { DashboardSession } from "../session";
import { type Column, Table } from "../table";

/** The ledger window a page shows: from the range's start to now, a member's own key only. */
export function windowOf(session: DashboardSession, since: Date): UsageWindow {
  const { caller } = session;
  return {
    organizationId: caller.organizationId,
    from: since,
    to: new Date(),
    apiKeyId: caller.role === "admin" ? undefined : caller.apiKeyId,
  };
}

const tokens = (t: UsageTotals) => Number(t.inputTokens) + Number(t.outputTokens);

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

const breakdownColumns = (title: string): Column<UsageTotals & { label: string | null }>[] => [
  { title: title[0]?.toUpperCase() + title.slice(1), cell: (r) => r.label ?? "—" },
  { title: "Requests", num: true, cell: (r) => count(r.requests) },
  { title: "Not succeeded", num: true, cell: (r) => count(r.requests - r.succeeded) },
  { title: "Tokens", num: true, cell: (r) => count(tokens(r)) },
  { title: "Cost", num: true, cell: (r) => money(r.cost) },
];

/** The biggest spenders first, at most this many per breakdown. */
const BREAKDOWN_ROWS = 50;

const BREAKDOWNS: [UsageGroup, string][] = [
  ["model", "model"],
  ["key", "key"],
  ["instance", "host"],
];

export async function usagePage(c: Context<AppEnv>, session: DashboardSession) {
  const range = rangeOf(c.req.query("range"));
  const since = rangeStart(range);
  const window = windowOf(session, since);
  const { series, breakdowns } = await withDb(c.env, async (db) => ({
    series: await usageSeriesQuery(db, window, ranges[range].bucket),
    breakdowns: await Promise.all(BREAKDOWNS.map(([by]) => usageTotalsQuery(db, window, by))),
  }));
  const byBucket = new Map(series.map((s) => [s.bucket, s]));
  const starts = bucketStarts(range, since);
  const bars = (pick: (t: UsageTotals) => number) =>
    starts.map((at) => ({ at, value: byBucket.has(at) ? pick(byBucket.get(at) as UsageTotals) : 0 }));
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
      <BarChart title="Tokens" bars={bars(tokens)} format={count} label={label} />
      <BarChart title="Cost" bars={bars((t) => Number(t.cost))} format={money} label={label} />
      {BREAKDOWNS.map(([, title], i) => (
        <section aria-label={`Usage by ${title}`}>
          <h2>By {title}</h2>
          <Table
            columns={breakdownColumns(title)}
            rows={[...(breakdowns[i] ?? [])]
              .sort((a, b) => Number(b.cost) - Number(a.cost) || b.requests - a.requests)
              .slice(0, BREAKDOWN_ROWS)}
            empty="No requests in this range."
          />
        </section>
      ))}
    </Layout>,
  );
}
