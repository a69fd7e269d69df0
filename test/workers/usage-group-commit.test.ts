// Group commit: the usage events of one organization that end together in one isolate reach one of
// its outbox shards in one call and one SQLite transaction, the request that sends the group is answered
// only once it is stored, and the shard keeps one Postgres pool across flushes.
import { env, runDurableObjectAlarm } from "cloudflare:test";
import { inArray } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { inferenceUsage } from "../../schema";
import type { OutboxCounters, OutboxStatus } from "../../worker/contracts";
import { withDb } from "../../worker/db";
import { recordUsage } from "../../worker/usage/record";
import { outboxShard, SHARDS_PER_ORGANIZATION, shardsOf } from "../../worker/usage/shards";
import { addCounters, noCounters } from "../support/outbox-counters";
import { newLedger, usageEvent } from "./support/usage-ledger";

const shard = (name: string) => env.USAGE_OUTBOX.get(env.USAGE_OUTBOX.idFromName(name));

async function summed(orgId: string): Promise<{ counters: OutboxCounters; status: OutboxStatus }> {
  const counters = noCounters();
  const status: OutboxStatus = { backlog: 0, full: false, deadLettered: 0 };
  for (const name of shardsOf(orgId)) {
    addCounters(counters, await shard(name).counters());
    status.backlog += (await shard(name).status()).backlog;
  }
  return { counters, status };
}

describe("recordUsage (group commit)", () => {
  it("sends an organization's events that end together in one call and one transaction, to one shard, as one row", async () => {
    const ledger = await newLedger();
    const other = await newLedger();
    const events = Array.from({ length: 24 }, () => usageEvent(ledger));
    const others = Array.from({ length: 5 }, () => usageEvent(other));
    await Promise.all([...events, ...others].map((e) => recordUsage(env, e)));
    const { counters, status } = await summed(ledger.orgId);
    // One row and its key's index entry, as SQLite counts rows written (an event a row would be 48).
    expect(counters).toEqual({ calls: 1, events: 24, commits: 1, rowsWritten: 2, poolsOpened: 0 });
    expect(status.backlog).toBe(24);
    // The group went to the shard its first event picks; the other organization's to one of its own.
    expect(await shard(outboxShard(ledger.orgId, events[0]!.requestId)).status()).toMatchObject({ backlog: 24 });
    expect((await summed(other.orgId)).counters).toEqual({
      calls: 1,
      events: 5,
      commits: 1,
      rowsWritten: 2,
      poolsOpened: 0,
    });
  });

  it("sends a group that reached its size cap at once, the rest in the next group", async () => {
    const ledger = await newLedger();
    const events = Array.from({ length: 205 }, () => usageEvent(ledger));
    await Promise.all(events.map((e) => recordUsage(env, e)));
    const { counters, status } = await summed(ledger.orgId);
    expect(counters).toEqual({ calls: 2, events: 205, commits: 2, rowsWritten: 4, poolsOpened: 0 });
    expect(status.backlog).toBe(205);
  });

  it("holds the request that sends a group until the group is stored; the others are answered at once", async () => {
    const ledger = await newLedger();
    const order: string[] = [];
    const opener = recordUsage(env, usageEvent(ledger)).then(() => order.push("opener"));
    await recordUsage(env, usageEvent(ledger)).then(() => order.push("joiner"));
    await opener;
    expect(order).toEqual(["joiner", "opener"]);
    expect((await summed(ledger.orgId)).status.backlog).toBe(2);
    // The request that fills a group sends it, and is the one held.
    const full = Array.from({ length: 200 }, () => usageEvent(ledger));
    const held = full.map((e) => recordUsage(env, e));
    await held[199];
    expect((await summed(ledger.orgId)).status.backlog).toBe(202);
    await Promise.all(held);
  });

  it("spreads an organization's groups over its own shards, never another organization's", async () => {
    const a = await newLedger();
    const b = await newLedger();
    const names = new Set(Array.from({ length: 64 }, (_, i) => outboxShard(a.orgId, `ledger-${i}`)));
    expect([...names].sort()).toEqual(shardsOf(a.orgId).sort());
    expect(names.size).toBe(SHARDS_PER_ORGANIZATION);
    expect(shardsOf(a.orgId).some((n) => shardsOf(b.orgId).includes(n))).toBe(false);
  });

  it("flushes over one Postgres pool kept across alarms", async () => {
    const ledger = await newLedger();
    const first = usageEvent(ledger);
    const name = outboxShard(ledger.orgId, first.requestId);
    const stub = shard(name);
    await stub.enqueue(first);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const second = usageEvent(ledger, { requestId: first.requestId.replace(/^outbox-/, "outbox-2-") });
    await stub.enqueue(second);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await stub.status()).toMatchObject({ backlog: 0 });
    expect(await stub.counters()).toEqual({ calls: 2, events: 2, commits: 2, rowsWritten: 6, poolsOpened: 1 });
    const rows = await withDb(env, (db) =>
      db
        .select({ id: inferenceUsage.requestId })
        .from(inferenceUsage)
        .where(inArray(inferenceUsage.requestId, [first.requestId, second.requestId])),
    );
    expect(rows.map((r) => r.id).sort()).toEqual([first.requestId, second.requestId].sort());
  });
});
