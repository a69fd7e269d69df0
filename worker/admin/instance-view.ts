// How the admin API shows an instance: the control plane's row plus, when the model's FleetObject
// knows it, the live state routing uses (status it routes on, leases, load, circuit breaker).
import type { MemberView } from "../contracts";
import type { Env } from "../env";
import { fleetView } from "../fleet/replicas";
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
    [...byModel].map(([modelUuid, ids]) => fleetView(env, { organizationId, modelUuid }, ids)),
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
    has_api_key: row.hasApiKey,
    failure_reason: row.failureReason ?? live?.probe?.failedReason ?? null,
    max_num_seqs: row.maxNumSeqs,
    routable: live?.routable ?? false,
    probe: live?.probe
      ? {
          phase: live.probe.phase,
          last_probe_at: seconds(live.probe.lastProbeAt),
          last_result: live.probe.lastResult,
          last_error: live.probe.lastError,
          consecutive_failures: live.probe.consecutiveFailures,
        }
      : null,
    load: live?.load
      ? {
          waiting: live.load.waiting,
          running: live.load.running,
          kv_cache_usage: live.load.kvUsage,
          source: live.load.source,
          age_ms: Math.max(0, Date.now() - live.load.at),
        }
      : null,
    agent: live?.agent
      ? {
          worker_id: live.agent.workerId,
          version: live.agent.agentVersion,
          build_date: live.agent.agentBuildDate,
          gpu_utilization: live.agent.gpuUtilization,
          gpu_mem_used_mb: live.agent.gpuMemUsedMb,
          gpu_mem_total_mb: live.agent.gpuMemTotalMb,
          gpu_count: live.agent.gpuCount,
          reported_at: seconds(live.agent.reportedAt),
        }
      : null,
    live: live
      ? {
          status: live.status,
          worker_status: live.hostStatus,
          routable: live.routable,
          unroutable_reason: live.unroutable,
          queue_depth: live.reportedQueueDepth,
          inflight: live.inflight,
          live_load: live.liveLoad,
          // Learned by routing (routing/capacity.ts): null until the host has queued / finished a stream.
          learned_slots: live.capacity?.slots ?? null,
          learned_tokens_per_second:
            live.capacity?.tokensPerSecond == null ? null : Math.round(live.capacity.tokensPerSecond * 10) / 10,
          consecutive_failures: live.consecutiveFailures,
          ejected_until: live.ejectedUntil > Date.now() ? seconds(live.ejectedUntil) : null,
          last_heartbeat_at: seconds(live.lastHeartbeatAt),
        }
      : null,
  };
}
