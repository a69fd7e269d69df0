// The /metrics gauges read from live state: every fleet's members as its FleetObject sees them (the
// same views routing uses), and the usage outbox's backlog per shard. Which fleets exist comes from
// Postgres (`instances` not yet terminated); a scrape is not the inference hot path.
import { and, eq, ne, type SQL } from "drizzle-orm";
import { instances, models, organizations } from "../../schema";
import { configOf } from "../config";
import type { MemberView } from "../contracts";
import type { Db } from "../db";
import type { Env } from "../env";
import { fleetView } from "../fleet/replicas";
import { outboxFor } from "../stubs";
import { SHARDS_PER_ORGANIZATION, shardName } from "../usage/shards";
import { type Family, PREFIX, type Sample } from "./exposition";

/** 0 closed, 1 open (cooling down), 2 half-open (taking one probe request at a time). */
export function breakerState(m: MemberView, now: number): number {
  if (m.ejectedUntil > now) return 1;
  return m.consecutiveFailures > 0 ? 2 : 0;
}

/** A gauge of one host; null: not known (no sample yet), so no sample is written. */
const memberGauges: {
  name: string;
  help: string;
  value: (m: MemberView, now: number, staleMs: number) => number | null;
}[] = [
  {
    name: "host_up",
    help: "1 when the host's last heartbeat is fresh and it says it is ready.",
    value: (m, now, staleMs) => (m.hostStatus === "ready" && now - m.lastHeartbeatAt <= staleMs ? 1 : 0),
  },
  { name: "host_routable", help: "1 when routing may choose the host now.", value: (m) => (m.routable ? 1 : 0) },
  {
    name: "host_live_load",
    help: "The host's reported queue plus the router's requests sent since that report.",
    value: (m) => m.liveLoad,
  },
  {
    name: "host_reported_queue_depth",
    help: "Requests waiting and running, as the host last reported.",
    value: (m) => m.reportedQueueDepth,
  },
  { name: "host_inflight", help: "The router's requests open on the host (leases).", value: (m) => m.inflight },
  {
    name: "host_waiting",
    help: "Requests waiting in the host's engine, as last sampled (heartbeat or probe).",
    value: (m) => m.load?.waiting ?? null,
  },
  {
    name: "host_running",
    help: "Requests running in the host's engine, as last sampled.",
    value: (m) => m.load?.running ?? null,
  },
  {
    name: "host_kv_cache_usage",
    help: "The host's KV cache usage from 0 to 1, as last sampled.",
    value: (m) => m.load?.kvUsage ?? null,
  },
  {
    name: "host_breaker_state",
    help: "Circuit breaker: 0 closed, 1 open (cooling down), 2 half-open.",
    value: (m, now) => breakerState(m, now),
  },
];

export async function liveFamilies(db: Db, env: Env, organizationId: string | null): Promise<Family[]> {
  const where: SQL | undefined = and(
    ne(instances.status, "terminated"),
    organizationId === null ? undefined : eq(instances.organizationId, organizationId),
  );
  const fleets = await db
    .selectDistinct({
      organizationId: instances.organizationId,
      modelUuid: instances.modelId,
      org: organizations.slug,
      model: models.modelId,
    })
    .from(instances)
    .innerJoin(organizations, eq(organizations.id, instances.organizationId))
    .innerJoin(models, eq(models.id, instances.modelId))
    .where(where);
  const [views, outboxes] = await Promise.all([
    Promise.all(fleets.map((f) => fleetView(env, f))),
    // Shards are per organization: those of every organization listed here.
    Promise.all(
      [...new Map(fleets.map((f) => [f.organizationId, f.org])).entries()].flatMap(([orgId, org]) =>
        Array.from({ length: SHARDS_PER_ORGANIZATION }, async (_, i) => ({
          labels: { org, shard: String(i) },
          status: await outboxFor(env, shardName(orgId, i)).status(),
        })),
      ),
    ),
  ]);
  const now = Date.now();
  const staleMs = configOf(env).STALE_AFTER_SECONDS * 1000;
  const families: Family[] = memberGauges.map((g) => ({
    name: `${PREFIX}_${g.name}`,
    help: g.help,
    type: "gauge",
    samples: fleets.flatMap((f, i): Sample[] =>
      (views[i] ?? []).flatMap((m) => {
        const value = g.value(m, now, staleMs);
        return value === null ? [] : [{ labels: { org: f.org, model: f.model, instance: m.instanceId }, value }];
      }),
    ),
  }));
  families.push(
    {
      name: `${PREFIX}_usage_outbox_backlog`,
      help: "Usage events stored in the outbox shard and not yet written to Postgres.",
      type: "gauge",
      samples: outboxes.map((o) => ({ labels: o.labels, value: o.status.backlog })),
    },
    {
      name: `${PREFIX}_usage_outbox_dead_letters`,
      help: "Usage events Postgres refused, set aside in the outbox shard for an operator.",
      type: "gauge",
      samples: outboxes.map((o) => ({ labels: o.labels, value: o.status.deadLettered })),
    },
  );
  return families;
}
