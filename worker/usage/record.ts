// Hands usage events to the durable outbox by group commit. Called from waitUntil, never before
// the response, and never throws. Events of one organization that end in this isolate within
// USAGE_GROUP_COMMIT_MS of each other travel in one RPC to one of its shards and are stored in one
// SQLite transaction (the group's shard is picked by its first event, so groups spread over the
// shards). Each caller's promise settles only once its own event is committed (or given up on), so
// the request's waitUntil still holds the isolate until its usage is durable, and an isolate that
// dies first loses only events that no waitUntil had seen through. A failed hand-off is retried on
// the same shard, whose store ignores a request id it already holds; the Postgres write is keyed by
// request id as well, so no event is ever counted twice. As a last resort each event goes to the
// log, from which it can be replayed.
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
  /** Where the whole group goes, and goes again on a retry. */
  shard: string;
  events: UsageEvent[];
  /** One per event, each made in its own request's context, so its waitUntil resumes there. */
  committed: (() => void)[];
}

/** The group still open for each organization in this isolate. */
const open = new Map<string, Group>();

export function recordUsage(env: Env, event: UsageEvent): Promise<void> {
  const org = event.organizationId;
  let group = open.get(org);
  if (!group) {
    const fresh: Group = { shard: outboxShard(org, event.requestId), events: [], committed: [] };
    group = fresh;
    open.set(org, fresh);
    setTimeout(() => close(env, org, fresh), configOf(env).USAGE_GROUP_COMMIT_MS);
  }
  const done = new Promise<void>((resolve) => group.committed.push(resolve));
  group.events.push(event);
  if (group.events.length >= MAX_GROUP) close(env, org, group);
  return done;
}

function close(env: Env, org: string, group: Group): void {
  if (open.get(org) !== group) return; // already sent
  open.delete(org);
  void send(env, group);
}

async function send(env: Env, group: Group): Promise<void> {
  const { shard } = group;
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
