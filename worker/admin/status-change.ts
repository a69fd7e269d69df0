// An operator's status change (drain, undrain, delete): written to Postgres first (the truth), then
// pushed to the model's FleetObject so it takes effect at once; if that push fails, the fleet's
// periodic sync applies it anyway. The one implementation: the admin API and the dashboard call it.
import { type InstanceStatus, instanceStatuses } from "../../schema";
import { withDb } from "../db";
import type { Env } from "../env";
import { RouterError } from "../errors";
import { fleetReplicas } from "../fleet/replicas";
import { dropSpares } from "../fleet/spare-leases";
import { UUID } from "../uuid";
import { findInstance, updateStatus } from "./instance-store";

export const instanceNotFound = (id: string) =>
  new RouterError(404, {
    message: `No instance \`${id}\` in your organization.`,
    code: "instance_not_found",
    param: "id",
  });

/** What an operator may do to an instance: the target status, and where it cannot come from. */
export const statusChanges = {
  // Draining: no new sessions or unpinned requests; pinned sessions move on their next request.
  drain: { status: "draining", conflicts: ["terminating", "terminated", "failed"], settled: [] },
  // Back into routing after a drain; from any other status → 409.
  undrain: { status: "ready", conflicts: instanceStatuses.filter((s) => s !== "draining"), settled: [] },
  // Out of routing at once; requests already running finish. A terminated one stays so.
  delete: { status: "terminating", conflicts: [], settled: ["terminated"] },
} as const satisfies Record<
  string,
  { status: InstanceStatus; conflicts: readonly InstanceStatus[]; settled: readonly InstanceStatus[] }
>;
export type StatusChange = keyof typeof statusChanges;

/**
 * Applies `change` to the organization's instance `id`: 404 unknown, 409 from a conflicting status;
 * from a `settled` one (a delete of a terminated instance) nothing changes.
 */
export async function changeInstanceStatus(
  env: Env,
  organizationId: string,
  id: string,
  change: StatusChange,
): Promise<void> {
  const { status, conflicts, settled } = statusChanges[change];
  if (!UUID.test(id)) throw instanceNotFound(id);
  const { changed, row } = await withDb(env, async (db) => ({
    changed: await updateStatus(db, organizationId, id, status, [...conflicts, ...settled]),
    row: await findInstance(db, organizationId, id),
  }));
  if (!row) throw instanceNotFound(id);
  if (!changed && (conflicts as readonly InstanceStatus[]).includes(row.status)) {
    throw new RouterError(409, {
      message: `Instance \`${id}\` is ${row.status}; it cannot become ${status}.`,
      code: "invalid_status_transition",
      param: "id",
    });
  }
  if (changed) {
    const scope = { organizationId, modelUuid: row.modelUuid };
    const [first, ...rest] = fleetReplicas(env, scope);
    const [known] = await Promise.all([first.setStatus(id, status), ...rest.map((f) => f.setStatus(id, status))]);
    // This isolate's spare leases on it were chosen under the old status (others' lapse within FLEET_SPARE_TTL_MS).
    await dropSpares(env, scope, id);
    // A host the fleet never knew runs nothing through the router: it is done at once.
    if (!known && status === "terminating")
      await withDb(env, (db) =>
        updateStatus(
          db,
          organizationId,
          id,
          "terminated",
          instanceStatuses.filter((s) => s !== "terminating"),
        ),
      );
  }
}
