// Writes a batch of usage events: the ledger rows and every counter fed by them, in ONE statement
// with ONE parameter (the batch as JSON, batch-json.ts). The statement is the PL/pgSQL function
// finops.write_usage_batch (schema/migrations/0010_usage_write_function.sql), so Postgres plans it
// once per connection rather than on every flush. Keyed by request id, it is exactly once: replaying
// a batch (or the written half of one) changes nothing.
import { sql } from "drizzle-orm";
import type { Db } from "../db";
import { batchJson } from "./batch-json";
import type { UsageEvent } from "./event";

/** Writes `events`; returns how many were new (a request id already in the ledger is skipped). */
export async function writeUsageBatch(db: Db, events: UsageEvent[]): Promise<number> {
  if (events.length === 0) return 0;
  const result = await db.execute<{ inserted: number }>(
    sql`SELECT finops.write_usage_batch(${batchJson(events)}::json) AS inserted`,
  );
  return result.rows[0]?.inserted ?? 0;
}
