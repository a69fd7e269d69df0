// Fail closed when metering cannot keep up. An operator who bills from the ledger must never
// serve unmetered traffic, so once an outbox shard reports a backlog past its bound this isolate
// refuses new inference with 503 until the shard has drained. The knowledge comes from the
// answers to enqueue (after responses), so the hot path makes no extra call while all is well.
import type { OutboxStatus } from "../contracts";
import type { Env } from "../env";
import { RouterError } from "../errors";
import { outboxFor } from "../stubs";

/** While refusing, ask the full shards again at most this often (in the background). */
const RECHECK_AFTER_MS = 2_000;
const RETRY_AFTER_SECONDS = "5";

const fullShards = new Set<string>();
let learnedAt = 0;
let recheck: Promise<void> | null = null;

export function noteOutboxStatus(shard: string, status: OutboxStatus): void {
  if (status.full) fullShards.add(shard);
  else fullShards.delete(shard);
  learnedAt = Date.now();
}

/** Throws 503 `usage_backlog_full` while a shard is known to be past its bound. */
export function admitMetered(env: Env, waitUntil: (p: Promise<unknown>) => void): void {
  if (fullShards.size === 0) return;
  const now = Date.now();
  // Refused requests enqueue nothing, so the isolate must ask whether the shards have drained.
  if (!recheck && now - learnedAt >= RECHECK_AFTER_MS) {
    learnedAt = now;
    recheck = Promise.all(
      [...fullShards].map(async (shard) => noteOutboxStatus(shard, await outboxFor(env, shard).status())),
    )
      .then(() => {})
      .catch(() => {})
      .finally(() => (recheck = null));
    waitUntil(recheck);
  }
  throw new RouterError(503, {
    message:
      "Usage metering is backlogged, so the router is not accepting new requests until it catches up. Retry later.",
    code: "usage_backlog_full",
    headers: { "retry-after": RETRY_AFTER_SECONDS },
  });
}
