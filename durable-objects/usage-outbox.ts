// Usage events are made durable here, in this object's SQLite, before anything else happens
// to them; an alarm then writes them to Postgres in batches and deletes what was written.
// While Postgres is unreachable they wait here and the alarm backs off. Past the backlog bound
// the object says so in every answer, and the router stops admitting traffic (worker/usage/admission.ts).
import { DurableObject } from "cloudflare:workers";
import { withDb } from "../worker/db";
import type { Env } from "../worker/env";
import type { UsageEvent } from "../worker/usage/event";
import { flushBatch, type Rejected } from "../worker/usage/flush";

const FLUSH_DELAY_MS = 200;
/** Rows per Postgres transaction. */
const BATCH_SIZE = 500;
const DEFAULT_MAX_BACKOFF_MS = 30_000;
export const DEFAULT_MAX_BACKLOG = 1_000_000;

export interface OutboxStatus {
  /** Events stored and not yet written to Postgres. */
  backlog: number;
  /** The backlog is past USAGE_OUTBOX_MAX_BACKLOG. */
  full: boolean;
  /** Events Postgres refused (data or constraint error), kept aside for an operator. */
  deadLettered: number;
}

const positive = (value: string | undefined, fallback: number): number => {
  const n = Number(value);
  return Number.isInteger(n) && n > 0 ? n : fallback;
};

export class UsageOutbox extends DurableObject<Env> {
  private failures = 0;
  /** Whether an alarm is set; kept in memory so enqueue does not ask storage every time. */
  private flushScheduled = false;
  /** Row counts kept in memory: count(*) is a table scan, and enqueue runs once per request. */
  private pending: number;
  private deadLettered: number;
  private readonly maxBacklog: number;
  private readonly maxBackoffMs: number;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    const sql = ctx.storage.sql;
    sql.exec(`CREATE TABLE IF NOT EXISTS outbox (
      request_id TEXT PRIMARY KEY,
      payload TEXT NOT NULL,
      enqueued_at INTEGER NOT NULL
    )`);
    sql.exec(`CREATE TABLE IF NOT EXISTS dead_letter (
      request_id TEXT PRIMARY KEY,
      payload TEXT NOT NULL,
      error TEXT NOT NULL,
      failed_at INTEGER NOT NULL
    )`);
    this.pending = sql.exec<{ n: number }>("SELECT count(*) AS n FROM outbox").one().n;
    this.deadLettered = sql.exec<{ n: number }>("SELECT count(*) AS n FROM dead_letter").one().n;
    this.maxBacklog = positive(env.USAGE_OUTBOX_MAX_BACKLOG, DEFAULT_MAX_BACKLOG);
    this.maxBackoffMs = positive(env.USAGE_FLUSH_MAX_BACKOFF_MS, DEFAULT_MAX_BACKOFF_MS);
    ctx.blockConcurrencyWhile(async () => {
      this.flushScheduled = (await ctx.storage.getAlarm()) !== null;
    });
  }

  private async flushAt(time: number): Promise<void> {
    await this.ctx.storage.setAlarm(time);
    this.flushScheduled = true;
  }

  /** Stores the event (once per request id) and schedules a flush. */
  async enqueue(event: UsageEvent): Promise<OutboxStatus> {
    const cursor = this.ctx.storage.sql.exec(
      "INSERT OR IGNORE INTO outbox (request_id, payload, enqueued_at) VALUES (?, ?, ?)",
      event.requestId,
      JSON.stringify(event),
      Date.now(),
    );
    if (cursor.rowsWritten > 0) this.pending += 1;
    if (!this.flushScheduled) await this.flushAt(Date.now() + FLUSH_DELAY_MS);
    return this.status();
  }

  status(): OutboxStatus {
    return { backlog: this.pending, full: this.pending > this.maxBacklog, deadLettered: this.deadLettered };
  }

  override async alarm(): Promise<void> {
    this.flushScheduled = false; // the runtime has cleared the alarm that is running now
    const sql = this.ctx.storage.sql;
    // rowid order is insertion order, and new rows only ever get larger rowids than these.
    const rows = sql
      .exec<{ rowid: number; payload: string }>("SELECT rowid, payload FROM outbox ORDER BY rowid LIMIT ?", BATCH_SIZE)
      .toArray();
    const last = rows.at(-1);
    if (!last) return;
    let rejected: Rejected[];
    try {
      rejected = await withDb(this.env, (db) => flushBatch(db, rows.map((r) => JSON.parse(r.payload) as UsageEvent)));
    } catch (err) {
      this.failures += 1;
      const delay = Math.min(this.maxBackoffMs, 500 * 2 ** Math.min(this.failures, 8));
      const error = err instanceof Error && err.cause instanceof Error ? err.cause.message : String(err);
      console.error(JSON.stringify({ msg: "usage_flush_failed", backlog: this.pending, retry_in_ms: delay, error }));
      await this.flushAt(Date.now() + delay);
      return;
    }
    this.failures = 0;
    // Written (or already there): safe to forget. A crash before this commits replays the batch, harmlessly.
    this.ctx.storage.transactionSync(() => {
      for (const r of rejected) {
        sql.exec(
          "INSERT OR REPLACE INTO dead_letter (request_id, payload, error, failed_at) VALUES (?, ?, ?, ?)",
          r.event.requestId,
          JSON.stringify(r.event),
          r.error,
          Date.now(),
        );
      }
      // A range, not a list of ids: a query may bind at most 100 parameters.
      sql.exec("DELETE FROM outbox WHERE rowid <= ?", last.rowid);
    });
    this.pending = Math.max(0, this.pending - rows.length);
    if (rejected.length > 0) this.deadLettered = sql.exec<{ n: number }>("SELECT count(*) AS n FROM dead_letter").one().n;
    for (const r of rejected) {
      console.error(JSON.stringify({ msg: "usage_event_dead_lettered", request_id: r.event.requestId, error: r.error, event: r.event }));
    }
    if (this.pending > 0) await this.flushAt(Date.now());
  }
}
