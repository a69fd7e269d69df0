// Hands usage events to the durable outbox by group commit. Called from waitUntil, never before
// the response, and never throws. Events of this isolate that end within USAGE_GROUP_COMMIT_MS
// of each other and belong to one shard travel in one RPC and are stored in one SQLite
// transaction; each caller's promise settles only once its own event is committed (or given up
// on), so the request's waitUntil still holds the isolate until its usage is durable, and an
// isolate that dies first loses only events that no waitUntil had seen through. A failed hand-off
// is retried; as a last resort each event goes to the log, from which it can be replayed (the
// write is idempotent per ledger id).
import { configOf } from "../config";
import type { Env } from "../env";
import { outboxFor } from "../stubs";
import { noteOutboxStatus } from "./admission";
import type { UsageEvent } from "./event";
import { outboxShard } from "./shards";

const ENQUEUE_ATTEMPTS = 3;
/** A group this large goes at once: one RPC stays small, and the window only ever shortens. */
const MAX_GROUP = 200;

interface Group {
  events: UsageEvent[];
  /** One per event, each made in its own request's context, so its waitUntil resumes there. */
  committed: (() => void)[];
}

/** The group still open for each shard in this isolate. */
const open = new Map<string, Group>();

export function recordUsage(env: Env, event: UsageEvent): Promise<void> {
  const shard = outboxShard(event.organizationId, event.requestId);
  let group = open.get(shard);
  if (!group) {
    const fresh: Group = { events: [], committed: [] };
    group = fresh;
    open.set(shard, fresh);
    setTimeout(() => close(env, shard, fresh), configOf(env).USAGE_GROUP_COMMIT_MS);
  }
  const done = new Promise<void>((resolve) => group.committed.push(resolve));
  group.events.push(event);
  if (group.events.length >= MAX_GROUP) close(env, shard, group);
  return done;
}

function close(env: Env, shard: string, group: Group): void {
  if (open.get(shard) !== group) return; // already sent
  open.delete(shard);
  void send(env, shard, group);
}

async function send(env: Env, shard: string, group: Group): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      // A fresh stub each time: a stub that saw an exception may be broken for good.
      noteOutboxStatus(shard, await outboxFor(env, shard).enqueueBatch(group.events));
      break;
    } catch (err) {
      if (attempt >= ENQUEUE_ATTEMPTS) {
        for (const event of group.events) {
          console.error(
            JSON.stringify({ msg: "usage_event_unrecorded", request_id: event.requestId, error: String(err), event }),
          );
        }
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
    }
  }
  for (const resolve of group.committed) resolve();
}
