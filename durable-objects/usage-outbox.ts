// Usage events are made durable here, in this object's SQLite, before anything else happens
// to them (a group of them per call, in one transaction and as few rows as fit: worker/usage/record.ts,
// worker/usage/outbox-rows.ts); an alarm then writes them to Postgres in batches, over one kept pool,
// and deletes what was written.
// While Postgres is unreachable they wait here and the alarm backs off. Past the backlog bound
// the object says so in every answer, and the router stops admitting traffic (worker/usage/admission.ts).
import { DurableObject } from "cloudflare:workers";
import { configOf } from "../worker/config";
import type { DeadLetterView, OutboxCounters, OutboxStatus } from "../worker/contracts";
import { KeptPool } from "../worker/db";
import type { Env } from "../worker/env";
import type { UsageEvent } from "../worker/usage/event";
import { flushBatch } from "../worker/usage/flush";
import { outboxRows, rowEvents } from "../worker/usage/outbox-rows";

const FLUSH_DELAY_MS = 200;
/** Events per Postgres write (one statement), give or take the last row's. */
const BATCH_SIZE = 500;

/** One organization's dead letters (a payload that is not even JSON belongs to nobody: it is only logged). */
const OF_ORGANIZATION = "json_valid(payload) AND json_extract(payload, '$.organizationId') = ?";

interface DeadLetter {
  requestId: string;
  payload: string;
  error: string;
  event?: UsageEvent;
}

export class UsageOutbox extends DurableObject<Env> {
  private failures = 0;
  /** Whether an alarm is set; kept in memory so enqueue does not ask storage every time. */
  private flushScheduled = false;
  /** Row counts kept in memory: count(*) is a table scan, and enqueue runs once per request. */
  private pending: number;
  private deadLettered: number;
  private readonly maxBacklog: number;
  private readonly maxBackoffMs: number;
  private readonly db: KeptPool;
  private readonly counted = { calls: 0, events: 0, commits: 0, rowsWritten: 0 };

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    const config = configOf(env); // throws on a bad setting: never meter on garbage
    this.maxBacklog = config.USAGE_OUTBOX_MAX_BACKLOG;
    this.maxBackoffMs = config.USAGE_FLUSH_MAX_BACKOFF_MS;
    this.db = new KeptPool(env);
    const sql = ctx.storage.sql;
    // request_id: the row's first event's (outbox-rows.ts); events: how many it holds.
    sql.exec(`CREATE TABLE IF NOT EXISTS outbox (
      request_id TEXT PRIMARY KEY,
      payload TEXT NOT NULL,
      enqueued_at INTEGER NOT NULL,
      events INTEGER NOT NULL DEFAULT 1
    )`);
    // A shard made before rows held groups has an event a row: the default says so.
    const columns = sql.exec<{ name: string }>("SELECT name FROM pragma_table_info('outbox')").toArray();
    if (!columns.some((c) => c.name === "events"))
      sql.exec("ALTER TABLE outbox ADD COLUMN events INTEGER NOT NULL DEFAULT 1");
    sql.exec(`CREATE TABLE IF NOT EXISTS dead_letter (
      request_id TEXT PRIMARY KEY,
      payload TEXT NOT NULL,
      error TEXT NOT NULL,
      failed_at INTEGER NOT NULL
    )`);
    this.pending = this.countEvents("outbox");
    this.deadLettered = this.countEvents("dead_letter");
    ctx.blockConcurrencyWhile(async () => {
      this.flushScheduled = (await ctx.storage.getAlarm()) !== null;
    });
  }

  /** Events a table holds (a dead letter is one; a table scan: for startup and rare events, never per request). */
  private countEvents(table: "outbox" | "dead_letter"): number {
    const n = table === "outbox" ? "coalesce(sum(events), 0)" : "count(*)";
    return this.ctx.storage.sql.exec<{ n: number }>(`SELECT ${n} AS n FROM ${table}`).one().n;
  }

  private async flushAt(time: number): Promise<void> {
    await this.ctx.storage.setAlarm(time);
    this.flushScheduled = true;
  }

  /** Stores the event (once per request id) and schedules a flush. */
  enqueue(event: UsageEvent): Promise<OutboxStatus> {
    return this.enqueueBatch([event]);
  }

  /** Stores a group of events (a resent one once) in one transaction and schedules a flush. */
  async enqueueBatch(events: UsageEvent[]): Promise<OutboxStatus> {
    const sql = this.ctx.storage.sql;
    const now = Date.now();
    const rows = outboxRows(events);
    const added = this.ctx.storage.transactionSync(() => {
      let n = 0;
      for (const row of rows) {
        const cursor = sql.exec(
          "INSERT OR IGNORE INTO outbox (request_id, payload, enqueued_at, events) VALUES (?, ?, ?, ?)",
          row.key,
          row.payload,
          now,
          row.events,
        );
        this.counted.rowsWritten += cursor.rowsWritten;
        if (cursor.rowsWritten > 0) n += row.events;
      }
      return n;
    });
    this.pending += added;
    this.counted.calls += 1;
    this.counted.events += events.length;
    this.counted.commits += 1;
    if (!this.flushScheduled) await this.flushAt(now + FLUSH_DELAY_MS);
    return this.status();
  }

  counters(): OutboxCounters {
    return { ...this.counted, poolsOpened: this.db.created };
  }

  /** An organization's dead-lettered events, oldest first. */
  deadLetters(organizationId: string, limit: number): DeadLetterView[] {
    return this.ctx.storage.sql
      .exec<{ request_id: string; payload: string; error: string; failed_at: number }>(
        `SELECT request_id, payload, error, failed_at FROM dead_letter WHERE ${OF_ORGANIZATION} ORDER BY failed_at, request_id LIMIT ?`,
        organizationId,
        limit,
      )
      .toArray()
      .map((r) => ({
        requestId: r.request_id,
        error: r.error,
        failedAt: r.failed_at,
        event: JSON.parse(r.payload) as UsageEvent,
      }));
  }

  /**
   * Puts an organization's dead letters back in the outbox, once an operator has fixed what
   * Postgres refused (a deleted row restored, say). Replaying is safe: the write is idempotent, and
   * an event that still cannot be written comes straight back here.
   */
  async replayDeadLetters(organizationId: string): Promise<number> {
    const sql = this.ctx.storage.sql;
    // Counted, not taken from rowsWritten, which also counts index entries.
    const moved = this.ctx.storage.transactionSync(() => {
      const n = sql
        .exec<{ n: number }>(`SELECT count(*) AS n FROM dead_letter WHERE ${OF_ORGANIZATION}`, organizationId)
        .one().n;
      sql.exec(
        `INSERT OR IGNORE INTO outbox (request_id, payload, enqueued_at) SELECT request_id, payload, ? FROM dead_letter WHERE ${OF_ORGANIZATION}`,
        Date.now(),
        organizationId,
      );
      sql.exec(`DELETE FROM dead_letter WHERE ${OF_ORGANIZATION}`, organizationId);
      return n;
    });
    this.pending = this.countEvents("outbox");
    this.deadLettered = this.countEvents("dead_letter");
    if (moved > 0 && !this.flushScheduled) await this.flushAt(Date.now());
    return moved;
  }

  status(): OutboxStatus {
    return { backlog: this.pending, full: this.pending > this.maxBacklog, deadLettered: this.deadLettered };
  }

  override async alarm(): Promise<void> {
    this.flushScheduled = false; // the runtime has cleared the alarm that is running now
    try {
      await this.flush();
      this.failures = 0;
    } catch (err) {
      // Whatever failed (Postgres unreachable, storage…), the batch is still here: try again later.
      // Letting it escape would end in the runtime dropping the alarm after a few retries, and only
      // enqueue() sets a new one, which never comes while a full shard has the router refusing traffic.
      this.failures += 1;
      const delay = Math.min(this.maxBackoffMs, 500 * 2 ** Math.min(this.failures, 8));
      const error = err instanceof Error && err.cause instanceof Error ? err.cause.message : String(err);
      console.error(JSON.stringify({ msg: "usage_flush_failed", backlog: this.pending, retry_in_ms: delay, error }));
      await this.flushAt(Date.now() + delay);
    }
  }

  /** Writes the oldest batch to Postgres and forgets it; throws, keeping it, when it cannot. */
  private async flush(): Promise<void> {
    const sql = this.ctx.storage.sql;
    // rowid order is insertion order, and new rows only ever get larger rowids than these. The oldest
    // rows up to BATCH_SIZE events (at least one row), found by their counts before any payload is read.
    let last: number | undefined;
    let taken = 0;
    const counts = sql
      .exec<{ rowid: number; events: number }>("SELECT rowid, events FROM outbox ORDER BY rowid LIMIT ?", BATCH_SIZE)
      .toArray();
    for (const r of counts) {
      if (last !== undefined && taken + r.events > BATCH_SIZE) break;
      last = r.rowid;
      taken += r.events;
    }
    if (last === undefined) return;
    const dead: DeadLetter[] = [];
    const events: UsageEvent[] = [];
    const rows = sql
      .exec<{ request_id: string; payload: string }>(
        "SELECT request_id, payload FROM outbox WHERE rowid <= ? ORDER BY rowid",
        last,
      )
      .toArray();
    for (const r of rows) {
      const held = rowEvents(r.payload);
      if (held) events.push(...held);
      else dead.push({ requestId: r.request_id, payload: r.payload, error: "payload is not JSON events" });
    }
    for (const r of await this.db.run((db) => flushBatch(db, events))) {
      dead.push({ requestId: r.event.requestId, payload: JSON.stringify(r.event), error: r.error, event: r.event });
    }
    // Written (or already there): safe to forget. A crash before this commits replays the batch, harmlessly.
    this.ctx.storage.transactionSync(() => {
      for (const d of dead) {
        sql.exec(
          "INSERT OR REPLACE INTO dead_letter (request_id, payload, error, failed_at) VALUES (?, ?, ?, ?)",
          d.requestId,
          d.payload,
          d.error,
          Date.now(),
        );
      }
      // A range, not a list of ids: a query may bind at most 100 parameters.
      this.counted.rowsWritten += sql.exec("DELETE FROM outbox WHERE rowid <= ?", last).rowsWritten;
    });
    this.pending = Math.max(0, this.pending - taken);
    if (dead.length > 0) this.deadLettered = this.countEvents("dead_letter");
    for (const d of dead) {
      const event = d.event ?? d.payload; // the raw text when it did not parse
      console.error(
        JSON.stringify({ msg: "usage_event_dead_lettered", request_id: d.requestId, error: d.error, event }),
      );
    }
    if (this.pending > 0) await this.flushAt(Date.now());
  }
}
