// How a group of usage events is stored in an outbox shard's SQLite: as few rows as fit, each the JSON
// array of consecutive events of the group, keyed by its first event's ledger id. One row a group,
// rather than one an event, is what makes the hand-off cheap (measured: a row an event cost the
// router ~0.09 ms of CPU per request, most of the outbox's share). A group is resent whole and in the
// same order after a failed call, so it splits into the same rows with the same keys, which the
// store ignores: an event is still stored once. Pure, for the object and its tests.
import type { UsageEvent } from "./event";

/**
 * A row's JSON is kept under this many UTF-16 code units: at most 3 bytes each in UTF-8, within the
 * 2 MB a Durable Object's SQLite row may hold, whatever error text a hostile host put in its events.
 */
export const ROW_MAX_CHARS = 512 * 1024;

export interface OutboxRow {
  /** The ledger id of the row's first event. */
  key: string;
  payload: string;
  events: number;
}

/** The rows `events` are stored as, in order. */
export function outboxRows(events: UsageEvent[], maxChars = ROW_MAX_CHARS): OutboxRow[] {
  const rows: OutboxRow[] = [];
  let key = "";
  let parts: string[] = [];
  let chars = 0;
  const close = (): void => {
    if (parts.length > 0) rows.push({ key, payload: `[${parts.join(",")}]`, events: parts.length });
    parts = [];
    chars = 0;
  };
  for (const event of events) {
    const json = JSON.stringify(event);
    if (parts.length > 0 && chars + json.length + 1 > maxChars) close();
    if (parts.length === 0) key = event.requestId;
    parts.push(json);
    chars += json.length + 1;
  }
  close();
  return rows;
}

/**
 * The events a stored row holds: a JSON array of objects, or one object (rows stored an event each,
 * before groups, and dead letters put back). Null when it is neither: nothing could ever write it.
 */
export function rowEvents(payload: string): UsageEvent[] | null {
  let value: unknown;
  try {
    value = JSON.parse(payload);
  } catch {
    return null;
  }
  const isObject = (v: unknown): boolean => typeof v === "object" && v !== null && !Array.isArray(v);
  if (Array.isArray(value)) return value.every(isObject) ? (value as UsageEvent[]) : null;
  return isObject(value) ? [value as UsageEvent] : null;
}
