// Hands usage events to the durable outbox by group commit. Called from waitUntil, never before
// the response, and never throws. Events of one organization that end in this isolate within
// USAGE_GROUP_COMMIT_MS of each other travel in one RPC to one of its shards and are stored in one
// SQLite transaction (the group's shard is picked by its first event, so groups spread over the
// shards). The request that sends a group (the one that opened it, or the one that filled it) holds
// the isolate until the group is committed: its promise is the send. The others' settle at once, since
// workerd cannot keep one request waiting on another's I/O (it cancels the wait and warns), and the
// sender's waitUntil keeps the isolate alive anyway; an isolate that dies first loses only events no
// sender had seen through. A failed hand-off is retried on the same shard, whose store ignores a
// request id it already holds; the Postgres write is keyed by request id as well, so no event is ever
// counted twice. As a last resort each event goes to the log, from which it can be replayed.
import { configOf } from "../config";
import type { Env } from "../env";
import { sleep } from "../sleep";
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
}

/** The group still open for each organization in this isolate. */
const open = new Map<string, Group>();

/** Settles once the event is committed when this request sends its group, else at once (see above). */
export function recordUsage(env: Env, event: UsageEvent): Promise<void> {
  const org = event.organizationId;
  const group = open.get(org);
  if (group) {
    group.events.push(event);
    return group.events.length >= MAX_GROUP ? close(env, org, group) : Promise.resolve();
  }
  const fresh: Group = { shard: outboxShard(org, event.requestId), events: [event] };
  open.set(org, fresh);
  return sleep(configOf(env).USAGE_GROUP_COMMIT_MS).then(() => close(env, org, fresh));
}

function close(env: Env, org: string, group: Group): Promise<void> {
  if (open.get(org) !== group) return Promise.resolve(); // the request that filled it sent it
  open.delete(org);
  return send(env, group);
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
      await sleep(100 * attempt);
    }
  }
}
