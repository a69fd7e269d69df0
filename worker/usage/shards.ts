// Which UsageOutbox shard holds a group of usage events (worker/usage/record.ts): its organization's,
// then a fixed hash of the group's first ledger id, so groups spread evenly over the shards.
// Per organization, so no shard is a ceiling for the whole deployment: the ceiling is one
// organization's, SHARDS_PER_ORGANIZATION times what one shard sustains (`npm run bench:objects`).
export const SHARDS_PER_ORGANIZATION = 4;
export const shardName = (organizationId: string, index: number): string => `usage-outbox:${organizationId}:${index}`;

/** Every shard an organization's usage can be in (for its dead letters, and for tests). */
export const shardsOf = (organizationId: string): string[] =>
  Array.from({ length: SHARDS_PER_ORGANIZATION }, (_, i) => shardName(organizationId, i));

/** The shard for a group whose first event has this ledger id. */
export function outboxShard(organizationId: string, ledgerId: string): string {
  let h = 0;
  for (let i = 0; i < ledgerId.length; i++) h = (h * 31 + ledgerId.charCodeAt(i)) >>> 0;
  return shardName(organizationId, h % SHARDS_PER_ORGANIZATION);
}
