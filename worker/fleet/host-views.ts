// What the latency policy (routing/latency-policy.ts) reads of a fleet member: what is known of its capacity,
// the router's leases on it in requests and tokens, and its last reading with how many of those leases it
// already counted. Readings also teach the member's slot count (routing/capacity.ts).
import { capacityOf, learnSlots, unknownCapacity } from "../routing/capacity";
import type { FleetMember } from "../routing/fleet-policy";
import type { HostView } from "../routing/latency-policy";
import type { LoadReading } from "../routing/load-reading";
import type { Leases } from "./leases";

export class HostViews {
  /** Per member, its latest reading and how many of our leases were open when it was taken. */
  private readonly marks = new Map<string, { reading: LoadReading; open: number }>();

  constructor(private readonly leases: Leases) {}

  view(m: FleetMember): HostView {
    const reading = m.load ?? null;
    const mark = this.marks.get(m.instanceId);
    // Of the leases open when the reading was taken, those no longer open have closed since.
    const openFromBefore = m.inflight - m.inflightSinceReport;
    const closedSinceReading = reading && mark?.reading === reading ? Math.max(0, mark.open - openFromBefore) : 0;
    return {
      capacity: m.capacity ? capacityOf(m.capacity) : {},
      leases: {
        count: m.inflight,
        tokens: this.leases.tokensOn(m.instanceId),
        openedSinceReading: m.inflightSinceReport,
        closedSinceReading,
      },
      reading,
    };
  }

  /** After a reading may have been adopted: how many of our leases it includes, and what it tells of the slots. */
  readingAdopted(m: FleetMember): void {
    const reading = m.load;
    if (!reading || this.marks.get(m.instanceId)?.reading === reading) return;
    this.marks.set(m.instanceId, { reading, open: m.inflight - m.inflightSinceReport });
    m.capacity ??= unknownCapacity();
    learnSlots(m.capacity, reading);
  }

  forget(instanceId: string): void {
    this.marks.delete(instanceId);
  }
}
