// Outbox shards' counters added up: pure, for the workers and the integration tests alike.
import type { OutboxCounters } from "../../worker/contracts";

export const noCounters = (): OutboxCounters => ({ calls: 0, events: 0, commits: 0, rowsWritten: 0, poolsOpened: 0 });

/** Adds `c` into `total`, every counter. */
export function addCounters(total: OutboxCounters, c: OutboxCounters): void {
  for (const k of Object.keys(total) as (keyof OutboxCounters)[]) total[k] += c[k];
}
