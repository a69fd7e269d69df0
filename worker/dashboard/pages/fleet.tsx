// Fleet: the organization's hosts per model, with the live state routing uses, and for each an
// operator's drain and delete. The data comes from the admin modules, as GET /instances's does.
import type { Context } from "hono";
import type { InstanceRow } from "../../admin/instance-store";
import { listInstances, metricsOf } from "../../admin/instance-store";
import { liveViews } from "../../admin/instance-view";
import type { AppEnv } from "../../app-env";
import type { MemberView } from "../../contracts";
import { withDb } from "../../db";
import { ago } from "../format";
import { CsrfField, Layout } from "../layout";
import type { DashboardSession } from "../session";

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

function HostRow(props: { row: InstanceRow; live?: MemberView; counters?: Counters; session: DashboardSession }) {
  const { row, live, counters, session } = props;
  const now = Date.now();
  const heartbeat = live?.lastHeartbeatAt || row.workerLastHeartbeat?.getTime();
  const done = row.status === "terminating" || row.status === "terminated";
  return (
    <tr data-instance={row.id}>
      <td>
        <code>{row.baseUrl}</code>
        <div class="muted">{row.id}</div>
      </td>
      <td data-field="status">{live?.status ?? row.status}</td>
      <td>{live?.hostStatus ?? row.workerStatus ?? "—"}</td>
      <td data-field="routable">
        {live ? (
          live.routable ? (
            <span class="ok">yes</span>
          ) : (
            <span class="bad">no ({reason(live.unroutable)})</span>
          )
        ) : (
          <span class="muted">unknown</span>
        )}
      </td>
      <td class="num">{live ? live.liveLoad : "—"}</td>
      <td class="num">{live ? `${live.reportedQueueDepth} / ${live.inflight}` : "—"}</td>
      <td>{live ? breaker(live, now) : "—"}</td>
      <td>{heartbeat ? ago(heartbeat, now) : "never"}</td>
      <td class="num">{counters?.requests ?? 0}</td>
      <td class="num">{counters?.failed ?? 0}</td>
      <td>
        {done ? null : (
          <>
            {row.status === "draining" ? null : (
              <form method="post" action={`/dashboard/instances/${row.id}/drain`} class="inline">
                <CsrfField session={session} />
                <button type="submit">Drain</button>
              </form>
            )}{" "}
            <form method="post" action={`/dashboard/instances/${row.id}/delete`} class="inline">
              <CsrfField session={session} />
              <button type="submit" class="danger">
                Delete
              </button>
            </form>
          </>
        )}
      </td>
    </tr>
  );
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
          <table>
            <thead>
              <tr>
                <th scope="col">Host</th>
                <th scope="col">Status</th>
                <th scope="col">Host says</th>
                <th scope="col">Routable</th>
                <th scope="col" class="num">
                  Live load
                </th>
                <th scope="col" class="num">
                  Waiting+running / in flight
                </th>
                <th scope="col">Breaker</th>
                <th scope="col">Last heartbeat</th>
                <th scope="col" class="num">
                  Requests
                </th>
                <th scope="col" class="num">
                  Errors
                </th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {hosts.map((r) => (
                <HostRow row={r} live={live.get(r.id)} counters={counters.get(r.id)} session={session} />
              ))}
            </tbody>
          </table>
        </section>
      ))}
    </Layout>,
  );
}
