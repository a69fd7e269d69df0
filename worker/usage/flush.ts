// Writes one outbox batch to Postgres. A row that Postgres rejects on its own merits (a data or
// constraint error, e.g. its instance row was deleted meanwhile) must not block the rows behind
// it forever, so such a batch is retried row by row and the bad rows are handed back.
import type { Db } from "../db";
import { type UsageEvent, unwritableReason } from "./event";
import { writeUsageBatch } from "./write-postgres";

export interface Rejected {
  event: UsageEvent;
  error: string;
}

/** SQLSTATE classes 22 (data exception) and 23 (integrity constraint): retrying cannot help. */
export function dataError(err: unknown): string | null {
  // drizzle wraps the driver's error (which carries the SQLSTATE) as `cause`.
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && /^2[23]/.test(code)) return `${code} ${e.message}`;
  }
  return null;
}

/**
 * Writes `events`; returns the rows Postgres refused. Anything else thrown (unreachable,
 * deadlock, timeout…) propagates: the caller keeps the batch and retries it later, which is safe
 * because the write is idempotent per request id.
 */
export async function flushBatch(db: Db, batch: UsageEvent[]): Promise<Rejected[]> {
  // Checked here, not only where events are made: an event already in an outbox must not be able
  // to fail its whole batch on every retry (a throw before Postgres has no SQLSTATE to go by).
  const rejected: Rejected[] = [];
  const events = batch.filter((event) => {
    const error = unwritableReason(event);
    if (error) rejected.push({ event, error });
    return !error;
  });
  try {
    await writeUsageBatch(db, events);
    return rejected;
  } catch (err) {
    if (!dataError(err)) throw err;
  }
  for (const event of events) {
    try {
      await writeUsageBatch(db, [event]);
    } catch (err) {
      const error = dataError(err);
      if (!error) throw err;
      rejected.push({ event, error });
    }
  }
  return rejected;
}
