// Fleet: the organization's hosts per model, with the live state routing uses (load, KV cache,
// breaker, probes, heartbeats), and for each an operator's drain or undrain and delete. The data
// comes from the admin modules, as GET /instances's does; the actions are admin/status-change.ts's.
import type { Context } from "hono";
import type { InstanceRow } from "../../admin/instance-store";
import { listInstances, metricsOf } from "../../admin/instance-store";
import { liveViews } from "../../admin/instance-view";
import type { StatusChange } from "../../admin/status-change";
import type { AppEnv } from "../../app-env";
import type { MemberView } from "../../contracts";
import { withDb } from "../../db";
import type { ProbeState } from "../../probes/probe-state";
import { ago } from "../format";
import { CsrfField, Layout } from "../layout";
import type { DashboardSession } from "../session";
import { type Column, Table } from "../table";

const REFRESH_SECONDS = 5;

interface Counters {
  requests: number;
  failed: number;
}

/** "worker_not_ready" → "not ready". */
const reason = (r: string | null) => (r ?? "unknown").replace(/^worker_/, "").replaceAll("_", " ");

function breaker(live: MemberView, now: number) {
  if (live.ejectedUntil > now) return <span class="bad">open, {Math.ceil((live.ejectedUntil - now) / 1000)} s</span>;
  return live.consecutiveFailures > 0 ? (
    <span class="warn">{live.consecutiveFailures} failures</span>
  ) : (
    <span class="ok">closed</span>
  );
}

/** A host as the page shows it: its control-plane row, what routing sees now, and its counters. */
interface Host {
  row: InstanceRow;
  live: MemberView | undefined;
  counters: Counters | undefined;
}

/** An action button: a form POST carrying the session's CSRF token. */
function Action(props: {
  id: string;
  change: StatusChange;
  label: string;
  danger?: boolean;
  session: DashboardSession;
}) {
  return (
    <form method="post" action={`/dashboard/instances/${props.id}/${props.change}`} class="inline">
      <CsrfField session={props.session} />
      <button type="submit" class={props.danger ? "danger" : undefined}>
        {props.label}
      </button>
    </form>
  );
}

function actions({ row }: Host, session: DashboardSession) {
  if (row.status === "terminating" || row.status === "terminated") return null;
  return (
    <>
      {row.status === "draining" ? (
        <Action id={row.id} change="undrain" label="Undrain" session={session} />
      ) : (
        <Action id={row.id} change="drain" label="Drain" session={session} />
      )}{" "}
      <Action id={row.id} change="delete" label="Delete" danger session={session} />
    </>
  );
}

function lastProbe(probe: ProbeState | undefined, now: number) {
  if (!probe?.lastProbeAt) return <span class="muted">none yet</span>;
  return (
    <span title={probe.lastError ?? undefined}>
      {ago(probe.lastProbeAt, now)}, <span class={probe.lastResult === "ok" ? "ok" : "bad"}>{probe.lastResult}</span>
    </span>
  );
}

const percent = (share: number) => `${Math.round(share * 100)} %`;

function columns(session: DashboardSession, now: number): Column<Host>[] {
  return [
    {
      title: "Host",
      cell: ({ row }) => (
        <>
          <code>{row.baseUrl}</code>
          <div class="muted small">{row.id}</div>
        </>
      ),
    },
    { title: "Status", field: "status", cell: ({ row, live }) => live?.status ?? row.status },
    { title: "Host says", cell: ({ row, live }) => live?.hostStatus ?? row.workerStatus ?? "—" },
    {
      title: "Routable",
      field: "routable",
      cell: ({ live }) =>
        !live ? (
          <span class="muted">unknown</span>
        ) : live.routable ? (
          <span class="ok">yes</span>
        ) : (
          <span class="bad">no ({reason(live.unroutable)})</span>
        ),
    },
    { title: "Live load", num: true, cell: ({ live }) => (live ? live.liveLoad : "—") },
    {
      title: "Waiting / running",
      num: true,
      field: "queue",
      cell: ({ live }) => (live?.load ? `${live.load.waiting} / ${live.load.running}` : "—"),
    },
    { title: "In flight", num: true, cell: ({ live }) => (live ? live.inflight : "—") },
    {
      title: "KV cache",
      num: true,
      field: "kv",
      cell: ({ live }) => (live?.load?.kvUsage == null ? "—" : percent(live.load.kvUsage)),
    },
    { title: "Breaker", nowrap: true, cell: ({ live }) => (live ? breaker(live, now) : "—") },
    { title: "Last probe", nowrap: true, field: "probe", cell: ({ live }) => lastProbe(live?.probe, now) },
    {
      title: "Last heartbeat",
      nowrap: true,
      field: "heartbeat",
      cell: ({ row, live }) => {
        const at = live?.lastHeartbeatAt || row.workerLastHeartbeat?.getTime();
        return at ? ago(at, now) : "never";
      },
    },
    { title: "Requests", num: true, cell: ({ counters }) => counters?.requests ?? 0 },
    { title: "Errors", num: true, cell: ({ counters }) => counters?.failed ?? 0 },
    { title: "Actions", nowrap: true, cell: (host) => actions(host, session) },
  ];
}

export async function fleetPage(c: Context<AppEnv>, session: DashboardSession) {
  const orgId = session.caller.organizationId;
  const { rows, metrics } = await withDb(c.env, async (db) => {
    const rows = await listInstances(db, orgId);
    return {
      rows,
      metrics: await metricsOf(
        db,
        rows.map((r) => r.id),
      ),
    };
  });
  const live = await liveViews(c.env, orgId, rows);
  const counters = new Map(metrics.map((m) => [m.instanceId, { requests: m.totalRequests, failed: m.failedRequests }]));
  const cols = columns(session, Date.now());
  const byModel = new Map<string, InstanceRow[]>();
  for (const r of rows) byModel.set(r.model, [...(byModel.get(r.model) ?? []), r]);
  return c.html(
    <Layout title="Fleet" session={session} current="fleet" refreshSeconds={REFRESH_SECONDS}>
      <p class="muted">
        {rows.length} hosts; refreshed every {REFRESH_SECONDS} s.
      </p>
      {rows.length === 0 ? <p>No hosts registered yet (POST /deployments).</p> : null}
      {[...byModel].map(([model, hosts]) => (
        <section aria-label={model}>
          <h2>{model}</h2>
          <Table
            columns={cols}
            rows={hosts.map((row) => ({ row, live: live.get(row.id), counters: counters.get(row.id) }))}
            rowAttributes={({ row }) => ({ "data-instance": row.id })}
          />
        </section>
      ))}
    </Layout>,
  );
}
