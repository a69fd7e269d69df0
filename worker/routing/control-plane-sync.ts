// Postgres is the control plane's truth: a status an operator writes into `instances` (admin API
// or a plain SQL UPDATE) replaces the one the fleet holds. One change flows the other way: the
// fleet promotes a booting host that reports ready, and Postgres may not have seen that yet; and it
// retires a terminating host once nothing it was serving is still running (terminating → terminated).
import { beforeReadyStatuses, type InstanceStatus } from "../../schema";
import type { HostAdmission } from "../contracts";
import type { FleetMember } from "./fleet-policy";

export interface ControlPlaneRow {
  id: string;
  status: InstanceStatus;
  /** The operator's `max_num_seqs` for the host, null when not said. */
  maxNumSeqs: number | null;
  /** What a fleet object that does not know the host yet needs to admit it ("" before a mock host has one). */
  baseUrl: string;
  /** The model's Hugging Face id. */
  model: string;
  sealedApiKey: string | null;
}

export interface Reconciliation {
  /** Members whose status changes to Postgres's. */
  adopt: { instanceId: string; status: InstanceStatus }[];
  /** Members the fleet promoted to ready while Postgres still says booting: write them back. */
  promote: string[];
  /** Members whose row no longer exists. */
  forget: string[];
  /** Members terminating since before this read, with no request in flight: now terminated. */
  retire: string[];
}

/** What one control-plane sync changed (FleetState.sync): members to write, to delete, and rows to write back. */
export interface SyncChanges {
  save: FleetMember[];
  /** Hosts in Postgres this object did not know (a new replica, or an admission call that failed): probed now. */
  admitted: FleetMember[];
  forget: string[];
  /** booting → ready, for Postgres. */
  promote: string[];
  /** terminating → terminated, for Postgres first; then `retired()` with the rows it changed. */
  retire: string[];
}

const BEFORE_READY: ReadonlySet<InstanceStatus> = new Set(beforeReadyStatuses);
/** Rows a sync admits when the fleet does not know them; the others serve nothing. */
const ADMITTED_FROM_SYNC: ReadonlySet<InstanceStatus> = new Set(["booting", "ready", "draining"]);

/**
 * `idle` says a member runs nothing: the router's own leases are not enough evidence (they start at
 * zero when the object restarts, and a lease expires after 15 minutes), so the host's word counts too.
 */
export function reconcile(
  members: Iterable<FleetMember>,
  rows: Iterable<Pick<ControlPlaneRow, "id" | "status">>,
  idle: (m: FleetMember) => boolean,
): Reconciliation {
  const byId = new Map<string, InstanceStatus>();
  for (const r of rows) byId.set(r.id, r.status);
  const out: Reconciliation = { adopt: [], promote: [], forget: [], retire: [] };
  for (const m of members) {
    const status = byId.get(m.instanceId);
    if (status === undefined) out.forget.push(m.instanceId);
    else if (m.status === "ready" && BEFORE_READY.has(status)) out.promote.push(m.instanceId);
    else if (status !== m.status) out.adopt.push({ instanceId: m.instanceId, status });
    else if (status === "terminating" && idle(m)) out.retire.push(m.instanceId);
  }
  return out;
}

/** The rows a fleet that does not `know` them admits, as admissions (a row with no URL yet waits). */
export function admissionsFrom(
  rows: Iterable<ControlPlaneRow>,
  known: (instanceId: string) => boolean,
): Omit<HostAdmission, "scope">[] {
  const out: Omit<HostAdmission, "scope">[] = [];
  for (const { id: instanceId, baseUrl, model, sealedApiKey, maxNumSeqs, status: knownStatus } of rows) {
    if (known(instanceId) || baseUrl === "" || !ADMITTED_FROM_SYNC.has(knownStatus)) continue;
    out.push({ instanceId, baseUrl, model, sealedApiKey, knownStatus, maxNumSeqs });
  }
  return out;
}
