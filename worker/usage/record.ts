// Hands a usage event to a shard of the durable outbox. Called from waitUntil, never before the
// response, and never throws: a failed hand-off is retried, and as a last resort the whole event
// goes to the log, from which it can be replayed (the write is idempotent per request id).
import type { Env } from "../env";
import { outboxFor } from "../stubs";
import { noteOutboxStatus } from "./admission";
import type { UsageEvent } from "./event";
import { outboxShard } from "./shards";

const ENQUEUE_ATTEMPTS = 3;

export async function recordUsage(env: Env, event: UsageEvent): Promise<void> {
  const shard = outboxShard(event.requestId);
  for (let attempt = 1; ; attempt++) {
    try {
      // A fresh stub each time: a stub that saw an exception may be broken for good.
      noteOutboxStatus(shard, await outboxFor(env, shard).enqueue(event));
      return;
    } catch (err) {
      if (attempt >= ENQUEUE_ATTEMPTS) {
        console.error(
          JSON.stringify({ msg: "usage_event_unrecorded", request_id: event.requestId, error: String(err), event }),
        );
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
    }
  }
}
