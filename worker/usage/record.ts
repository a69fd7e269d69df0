// Hands usage events to the durable outbox by group commit. Called from waitUntil, never before
// the response, and never throws. Events of one organization that end in this isolate within
// USAGE_GROUP_COMMIT_MS of each other travel in one RPC to one of its shards and are stored in one
// SQLite transaction (the group's shard is picked by its first event, so groups spread over the
// shards). The request that sends a group (the one that opened it, or the one that filled it) holds
// the isolate until the group is committed; the others' promises settle at once (window-batch.ts).
// An isolate that dies first loses only events no sender had seen through. A failed hand-off is
// retried on the same shard, whose store ignores a request id it already holds; the Postgres write is
// keyed by request id as well, so no event is ever counted twice. As a last resort each event goes
// to the log, from which it can be replayed.
import { configOf } from "../config";
import type { Env } from "../env";
import { outboxFor } from "../stubs";
import { retrying, WindowBatches } from "../window-batch";
import { noteOutboxStatus } from "./admission";
import type { UsageEvent } from "./event";
import { outboxShard } from "./shards";

/** A group this large goes at once: one RPC stays small, and the window only ever shortens. */
const MAX_GROUP = 200;

/** The group still open for each organization in this isolate. */
const groups = new WindowBatches<UsageEvent>();

/** Settles once the event is committed when this request sends its group, else at once (see above). */
export function recordUsage(env: Env, event: UsageEvent): Promise<void> {
  return groups.add(event.organizationId, event, () => {
    // Where the whole group goes, and goes again on a retry.
    const shard = outboxShard(event.organizationId, event.requestId);
    return {
      windowMs: configOf(env).USAGE_GROUP_COMMIT_MS,
      maxItems: MAX_GROUP,
      // A fresh stub each attempt: a stub that saw an exception may be broken for good.
      send: retrying(async (events) => noteOutboxStatus(shard, await outboxFor(env, shard).enqueueBatch(events)), {
        attempts: 3,
        backoffMs: 100,
        giveUp: (events, err) => {
          for (const event of events) {
            console.error(
              JSON.stringify({ msg: "usage_event_unrecorded", request_id: event.requestId, error: String(err), event }),
            );
          }
        },
      }),
    };
  });
}
