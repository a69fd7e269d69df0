// The fleet's open leases: which host each in-flight request holds, and since when. Leases live in
// memory only (a restarted object starts with none); FleetState turns them into load.

/** A lease whose release never came (its isolate died) stops counting as load after this. */
export const LEASE_MAX_AGE_MS = 15 * 60_000;

export interface OpenLease {
  instanceId: string;
  issuedAt: number;
}

export class Leases {
  private readonly open = new Map<string, OpenLease>();

  issue(leaseId: string, instanceId: string, issuedAt: number): void {
    this.open.set(leaseId, { instanceId, issuedAt });
  }

  /** Removes and returns the lease; undefined when it was closed already (or expired). */
  close(leaseId: string): OpenLease | undefined {
    const lease = this.open.get(leaseId);
    if (lease) this.open.delete(leaseId);
    return lease;
  }

  /** Open leases on a member issued after `at` (a load sample taken then cannot include them). */
  issuedAfter(instanceId: string, at: number): number {
    let n = 0;
    for (const lease of this.open.values()) if (lease.instanceId === instanceId && lease.issuedAt > at) n++;
    return n;
  }

  /** The ids of leases older than LEASE_MAX_AGE_MS at `now`, oldest first. */
  expired(now: number): string[] {
    const out: string[] = [];
    // Maps iterate in insertion order, which is issue order: stop at the first young lease.
    for (const [id, lease] of this.open) {
      if (now - lease.issuedAt <= LEASE_MAX_AGE_MS) break;
      out.push(id);
    }
    return out;
  }
}
