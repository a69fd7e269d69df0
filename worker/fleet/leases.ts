// The fleet's open leases: which host each in-flight request holds, and since when. Leases live in
// memory only (a restarted object starts with none); FleetState turns them into load.

/** A lease whose release never came (its isolate died) stops counting as load after this. */
export const LEASE_MAX_AGE_MS = 15 * 60_000;

export interface OpenLease {
  instanceId: string;
  issuedAt: number;
  /** The request's token cost (routing/token-load.ts `costOf`). */
  tokens: number;
}

export class Leases {
  private readonly open = new Map<string, OpenLease>();
  /** Open token cost per host, kept as leases open and close so a decision never sums them. */
  private readonly tokens = new Map<string, number>();

  issue(leaseId: string, instanceId: string, issuedAt: number, tokens: number): void {
    this.open.set(leaseId, { instanceId, issuedAt, tokens });
    this.tokens.set(instanceId, (this.tokens.get(instanceId) ?? 0) + tokens);
  }

  /** Removes and returns the lease; undefined when it was closed already (or expired). */
  close(leaseId: string): OpenLease | undefined {
    const lease = this.open.get(leaseId);
    if (!lease) return undefined;
    this.open.delete(leaseId);
    const left = (this.tokens.get(lease.instanceId) ?? 0) - lease.tokens;
    // Float sums drift; a host with nothing open must read exactly zero.
    if (left <= 1e-6) this.tokens.delete(lease.instanceId);
    else this.tokens.set(lease.instanceId, left);
    return lease;
  }

  /** The token cost of the leases open on a host. */
  tokensOn(instanceId: string): number {
    return this.tokens.get(instanceId) ?? 0;
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
