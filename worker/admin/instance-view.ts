// How the admin API shows an instance: the control plane's row plus, when the model's FleetObject
// knows it, the live state routing uses (status it routes on, leases, load, circuit breaker).
import type { MemberView } from "../contracts";
import type { Env } from "../env";
import { fleetFor } from "../stubs";
import type { InstanceRow } from "./instance-store";

const seconds = (ms: number | null | undefined): number | null => (ms ? Math.floor(ms / 1000) : null);
const dateSeconds = (d: Date | null): number | null => (d ? Math.floor(d.getTime() / 1000) : null);

/** Live views for the given rows (all of one organization), one FleetObject call per model. */
export async function liveViews(
  env: Env,
  organizationId: string,
  rows: InstanceRow[],
): Promise<Map<string, MemberView>> {
  const byModel = new Map<string, string[]>();
  for (const r of rows) byModel.set(r.modelUuid, [...(byModel.get(r.modelUuid) ?? []), r.id]);
  const views = await Promise.all(
    [...byModel].map(([modelUuid, ids]) => fleetFor(env, { organizationId, modelUuid }).view(ids)),
  );
  return new Map(views.flat().map((v) => [v.instanceId, v]));
}

export function presentInstance(row: InstanceRow, live: MemberView | undefined) {
  return {
    id: row.id,
    object: "instance",
    model: row.model,
    model_uuid: row.modelUuid,
    base_url: row.baseUrl,
    provider: row.provider,
    /** The control plane's status (Postgres). */
    status: row.status,
    worker_status: row.workerStatus,
    created_at: dateSeconds(row.createdAt),
    updated_at: dateSeconds(row.updatedAt),
    last_heartbeat_at: dateSeconds(row.workerLastHeartbeat),
    live: live
      ? {
          status: live.status,
          worker_status: live.hostStatus,
          routable: live.routable,
          unroutable_reason: live.unroutable,
          queue_depth: live.reportedQueueDepth,
          inflight: live.inflight,
          live_load: live.liveLoad,
          consecutive_failures: live.consecutiveFailures,
          ejected_until: live.ejectedUntil > Date.now() ? seconds(live.ejectedUntil) : null,
          last_heartbeat_at: seconds(live.lastHeartbeatAt),
        }
      : null,
  };
}
