// Which UsageOutbox shard holds a request's usage: a fixed hash of its ledger id, so a replayed
// event always lands where the first copy is (and is ignored there).
export const OUTBOX_SHARDS = 4;
export const shardName = (index: number): string => `usage-outbox-${index}`;

export function outboxShard(requestId: string): string {
  let h = 0;
  for (let i = 0; i < requestId.length; i++) h = (h * 31 + requestId.charCodeAt(i)) >>> 0;
  return shardName(h % OUTBOX_SHARDS);
}
