// Postgres side of the admin API: instances of the caller's organization, and their metrics.
import { and, eq, inArray, ne, notInArray, type SQL, sql } from "drizzle-orm";
import { type InstanceProvider, type InstanceStatus, instanceRequestMetrics, instances, models } from "../../schema";
import type { Db } from "../db";

export type InstanceRow = Awaited<ReturnType<typeof selectInstances>>[number];

function selectInstances(db: Db, where: SQL | undefined) {
  return db
    .select({
      id: instances.id,
      modelUuid: instances.modelId,
      model: models.modelId,
      provider: instances.provider,
      baseUrl: instances.baseUrl,
      status: instances.status,
      workerStatus: instances.workerStatus,
      workerQueueDepth: instances.workerQueueDepth,
      workerLastHeartbeat: instances.workerLastHeartbeat,
      failureReason: instances.failureReason,
      maxNumSeqs: instances.maxNumSeqs,
      hasApiKey: sql<boolean>`${instances.hostApiKeySealed} is not null`,
      createdAt: instances.createdAt,
      updatedAt: instances.updatedAt,
    })
    .from(instances)
    .innerJoin(models, eq(models.id, instances.modelId))
    .where(where)
    .orderBy(instances.createdAt, instances.id);
}

export const listInstances = (db: Db, organizationId: string) =>
  selectInstances(db, eq(instances.organizationId, organizationId));

export async function findInstance(db: Db, organizationId: string, id: string): Promise<InstanceRow | undefined> {
  const [row] = await selectInstances(db, and(eq(instances.organizationId, organizationId), eq(instances.id, id)));
  return row;
}

export interface NewInstance {
  /** Chosen before the insert: the sealed key is bound to it. */
  id: string;
  organizationId: string;
  modelUuid: string;
  baseUrl: string;
  provider: InstanceProvider;
  workerTokenHash: string;
  hostApiKeySealed: string | null;
  /** booting by default: the host exists and is starting. */
  status?: "booting" | "provisioning";
  maxNumSeqs: number | null;
}

/** Who else holds this base URL: the organizations of its registrations that are not terminated. */
export async function holdersOf(db: Db, baseUrl: string): Promise<string[]> {
  const rows = await db
    .selectDistinct({ organizationId: instances.organizationId })
    .from(instances)
    .where(and(eq(instances.baseUrl, baseUrl), ne(instances.status, "terminated")));
  return rows.map((r) => r.organizationId);
}

export async function insertInstance(db: Db, input: NewInstance): Promise<string> {
  const [row] = await db
    .insert(instances)
    .values({ ...input, modelId: input.modelUuid, status: input.status ?? "booting" })
    .returning({ id: instances.id });
  if (!row) throw new Error("instance not written");
  return row.id;
}

/**
 * Sets the status unless the instance is in one of `unless` (e.g. already terminated).
 * Returns whether a row changed; the caller tells "not found" from "not allowed" by reading it.
 */
export async function updateStatus(
  db: Db,
  organizationId: string,
  id: string,
  status: InstanceStatus,
  unless: InstanceStatus[],
): Promise<boolean> {
  const changed = await db
    .update(instances)
    .set({ status, updatedAt: new Date() })
    .where(
      and(eq(instances.organizationId, organizationId), eq(instances.id, id), notInArray(instances.status, unless)),
    )
    .returning({ id: instances.id });
  return changed.length > 0;
}

export async function instanceMetrics(db: Db, id: string) {
  const [row] = await db.select().from(instanceRequestMetrics).where(eq(instanceRequestMetrics.instanceId, id));
  return row;
}

/** Request counters of several instances in one query. */
export function metricsOf(db: Db, ids: string[]) {
  if (ids.length === 0) return Promise.resolve([]);
  return db.select().from(instanceRequestMetrics).where(inArray(instanceRequestMetrics.instanceId, ids));
}
