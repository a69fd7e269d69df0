// A fleet member as the object's storage holds it, and how one read back becomes live again.
import type { FleetMember } from "../routing/fleet-policy";

/** A member as storage holds it; older ones carry the host's word as `hostStatus`. */
export type StoredMember = Omit<FleetMember, "hostStatus"> & { hostStatus?: string; workerStatus?: string };

/** A member read back from storage: leases did not survive, so nothing is in flight. */
export function restoredMember({ workerStatus, hostStatus, ...m }: StoredMember): FleetMember {
  // Members written before the field was named hostStatus keep their host's last word.
  const status = hostStatus ?? workerStatus ?? "starting";
  return { ...m, hostStatus: status, inflight: 0, inflightSinceReport: 0 };
}
