// `last_used_at`, batched: a request only marks its key in memory; at most once a minute (LAST_USED_FLUSH_MS)
// per isolate one UPDATE writes every key marked since, behind the response (waitUntil).
import { inArray, sql } from "drizzle-orm";
import { apiKeys } from "../../schema";
import { type ConfigSource, configOf } from "../config";
import { type DbConfig, withDb } from "../db";

export type LastUsedConfig = DbConfig & ConfigSource;
const MAX_PENDING = 10_000;
const pending = new Set<string>();
let lastFlushAt = 0;

export function markUsed(config: LastUsedConfig, apiKeyId: string, background: (work: Promise<unknown>) => void): void {
  if (pending.size < MAX_PENDING) pending.add(apiKeyId);
  const now = Date.now();
  const every = configOf(config).LAST_USED_FLUSH_MS;
  if (now - lastFlushAt < every) return;
  lastFlushAt = now;
  const ids = [...pending];
  pending.clear();
  background(
    withDb(config, (db) => db.update(apiKeys).set({ lastUsedAt: sql`now()` }).where(inArray(apiKeys.id, ids))).catch(
      () => {},
    ),
  );
}
