// Helpers for metering tests: finding a request's usage row, and what the fleet holds in flight.
import { and, eq, sql } from "drizzle-orm";
import { inferenceUsage, instanceRequestMetrics } from "../../schema";
import type { OutboxCounters, OutboxStatus } from "../../worker/contracts";
import { fleetName } from "../../worker/stubs";
import { shardsOf } from "../../worker/usage/shards";
import { addCounters, noCounters } from "./outbox-counters";
import type { Stack } from "./stack";
import { waitFor } from "./wait";

export type UsageRow = typeof inferenceUsage.$inferSelect;

/**
 * Rows of this stack's tenant's requests sent with this X-Request-Id (the ledger keys rows by its own id).
 * Scoped to the tenant: test files reuse ids, and a database may outlive a run.
 */
export function usageRowsFor(stack: Stack, clientRequestId: string): Promise<UsageRow[]> {
  return stack.database.db
    .select()
    .from(inferenceUsage)
    .where(
      and(
        eq(inferenceUsage.consumerOrganizationId, stack.tenant.orgId),
        sql`${inferenceUsage.metadata}->>'x_request_id' = ${clientRequestId}`,
      ),
    );
}

/** Waits for the request's row to reach Postgres (through the outbox) and returns it. */
export async function usageRowFor(stack: Stack, clientRequestId: string, timeoutMs = 10_000): Promise<UsageRow> {
  let rows: UsageRow[] = [];
  await waitFor(
    async () => {
      rows = await usageRowsFor(stack, clientRequestId);
      return rows.length > 0;
    },
    {
      timeoutMs,
      what: `usage row ${clientRequestId}`,
    },
  );
  if (rows.length !== 1) throw new Error(`${rows.length} usage rows for ${clientRequestId}`);
  return rows[0]!;
}

export async function instanceMetrics(stack: Stack, instanceId: string) {
  const [m] = await stack.database.db
    .select()
    .from(instanceRequestMetrics)
    .where(eq(instanceRequestMetrics.instanceId, instanceId));
  return m;
}

export async function instanceRows(stack: Stack, instanceId: string): Promise<UsageRow[]> {
  return stack.database.db.select().from(inferenceUsage).where(eq(inferenceUsage.instanceId, instanceId));
}

/** Leases the stack's FleetObject holds open, read from the router's own Durable Object. */
export async function leasesInFlight(stack: Stack): Promise<number> {
  const ns = await stack.router.mf.getDurableObjectNamespace("FLEET");
  const name = fleetName({ organizationId: stack.tenant.orgId, modelUuid: stack.modelUuid });
  const fleet = ns.get(ns.idFromName(name)) as unknown as { snapshot(): Promise<{ inflight: number }[]> };
  const members = await fleet.snapshot();
  // An empty fleet would mean the wrong object: never let that read as "no leases".
  if (members.length === 0) throw new Error(`fleet ${name} has no members`);
  return members.reduce((sum, m) => sum + m.inflight, 0);
}

interface OutboxShard {
  status(): Promise<OutboxStatus>;
  counters(): Promise<OutboxCounters>;
}

async function tenantShards(stack: Stack): Promise<OutboxShard[]> {
  const ns = await stack.router.mf.getDurableObjectNamespace("USAGE_OUTBOX");
  return shardsOf(stack.tenant.orgId).map((name) => ns.get(ns.idFromName(name)) as unknown as OutboxShard);
}

/** The tenant's usage outbox shards, summed: events held at the edge and not yet in Postgres. */
export async function outboxStatus(stack: Stack): Promise<OutboxStatus> {
  const total: OutboxStatus = { backlog: 0, full: false, deadLettered: 0 };
  for (const shard of await tenantShards(stack)) {
    const s = await shard.status();
    total.backlog += s.backlog;
    total.full ||= s.full;
    total.deadLettered += s.deadLettered;
  }
  return total;
}

/** The tenant's usage outbox shards' counters, summed. */
export async function outboxCounters(stack: Stack): Promise<OutboxCounters> {
  const total = noCounters();
  for (const shard of await tenantShards(stack)) addCounters(total, await shard.counters());
  return total;
}

/** Rows whose X-Request-Id starts with `prefix`. */
export function usageRowsWithPrefix(stack: Stack, prefix: string): Promise<UsageRow[]> {
  return stack.database.db
    .select()
    .from(inferenceUsage)
    .where(sql`${inferenceUsage.metadata}->>'x_request_id' like ${`${prefix}%`}`);
}
