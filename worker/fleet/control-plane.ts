// The FleetObject's Postgres statements, run from its alarm (never on a request's path).
import { and, eq, inArray } from "drizzle-orm";
import { beforeReadyStatuses, instances, models } from "../../schema";
import type { FleetScope } from "../contracts";
import { type DbConfig, withDb } from "../db";
import type { ControlPlaneRow } from "../routing/control-plane-sync";

/** Every instance row of one fleet: the control plane's status, and what admitting the host takes. */
export function readInstanceStatuses(config: DbConfig, scope: FleetScope): Promise<ControlPlaneRow[]> {
  return withDb(config, (db) =>
    db
      .select({
        id: instances.id,
        status: instances.status,
        maxNumSeqs: instances.maxNumSeqs,
        baseUrl: instances.baseUrl,
        model: models.modelId,
        sealedApiKey: instances.hostApiKeySealed,
      })
      .from(instances)
      .innerJoin(models, eq(models.id, instances.modelId))
      .where(and(eq(instances.organizationId, scope.organizationId), eq(instances.modelId, scope.modelUuid))),
  );
}

/** booting → ready for hosts the fleet promoted; a row an operator changed meanwhile is left alone. */
export async function writePromotions(config: DbConfig, instanceIds: string[]): Promise<void> {
  if (instanceIds.length === 0) return;
  await withDb(config, (db) =>
    db
      .update(instances)
      .set({ status: "ready", updatedAt: new Date() })
      .where(and(inArray(instances.id, instanceIds), inArray(instances.status, [...beforeReadyStatuses]))),
  );
}

/** terminating → terminated; returns the rows changed (an operator may have moved one meanwhile). */
export async function writeRetirements(config: DbConfig, instanceIds: string[]): Promise<string[]> {
  if (instanceIds.length === 0) return [];
  const rows = await withDb(config, (db) =>
    db
      .update(instances)
      .set({ status: "terminated", updatedAt: new Date() })
      .where(and(inArray(instances.id, instanceIds), eq(instances.status, "terminating")))
      .returning({ id: instances.id }),
  );
  return rows.map((r) => r.id);
}

/** Hosts the probes found unable to serve their model (another model listed, the key refused). */
export async function writeFailures(config: DbConfig, failed: { instanceId: string; reason: string }[]): Promise<void> {
  for (const { instanceId, reason } of failed) {
    await withDb(config, (db) =>
      db
        .update(instances)
        .set({ status: "failed", failureReason: reason, updatedAt: new Date() })
        .where(
          and(
            eq(instances.id, instanceId),
            inArray(instances.status, ["provisioning", "booting", "ready", "draining"]),
          ),
        ),
    );
  }
}
