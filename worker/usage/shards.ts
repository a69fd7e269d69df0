// Which UsageOutbox shard holds a request's usage: its organization's, then a fixed hash of its
// ledger id, so a replayed event always lands where the first copy is (and is ignored there).
// Per organization, so no shard is a ceiling for the whole deployment: the ceiling is one
// organization's, SHARDS_PER_ORGANIZATION times what one shard sustains (`npm run bench:objects`).
export const SHARDS_PER_ORGANIZATION = 4;
export const shardName = (organizationId: string, index: number): string => `usage-outbox:${organizationId}:${index}`;

/** Every shard an organization's usage can be in (for its dead letters, and for tests). */
export const shardsOf = (organizationId: string): string[] =>
  Array.from({ length: SHARDS_PER_ORGANIZATION }, (_, i) => shardName(organizationId, i));

export function outboxShard(organizationId: string, ledgerId: string): string {
  let h = 0;
  for (let i = 0; i < ledgerId.length; i++) h = (h * 31 + ledgerId.charCodeAt(i)) >>> 0;
  return shardName(organizationId, h % SHARDS_PER_ORGANIZATION);
}
