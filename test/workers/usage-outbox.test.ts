// The usage outbox and its Postgres writer: a replayed event or batch changes nothing, counters
// move only for rows inserted, and a row Postgres refuses does not block the rows behind it.
import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { and, eq, inArray } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { createInstance, uniqueSlug } from "../../dev/fixtures";
import { chatSessions, inferenceUsage, instanceRequestMetrics } from "../../schema";
import { withDb } from "../../worker/db";
import { outboxRows, ROW_MAX_CHARS, rowEvents } from "../../worker/usage/outbox-rows";
import { writeUsageBatch } from "../../worker/usage/write-postgres";
import { newLedger, usageEvent } from "./support/usage-ledger";

const outboxNamed = (name: string) => env.USAGE_OUTBOX.get(env.USAGE_OUTBOX.idFromName(name));
const outbox = () => outboxNamed(uniqueSlug("test-outbox"));

const rowsFor = (ids: string[]) =>
  withDb(env, (db) => db.select().from(inferenceUsage).where(inArray(inferenceUsage.requestId, ids)));
const metricsFor = (instanceId: string) =>
  withDb(
    env,
    async (db) =>
      (await db.select().from(instanceRequestMetrics).where(eq(instanceRequestMetrics.instanceId, instanceId)))[0],
  );
const sessionRow = (orgId: string, sessionKey: string) =>
  withDb(
    env,
    async (db) =>
      (
        await db
          .select()
          .from(chatSessions)
          .where(and(eq(chatSessions.organizationId, orgId), eq(chatSessions.sessionKey, sessionKey)))
      )[0],
  );

/** Runs the outbox's alarm until it has nothing left to flush. */
async function drain(stub: ReturnType<typeof outbox>): Promise<void> {
  for (let i = 0; i < 20 && (await runDurableObjectAlarm(stub)); i++);
}

describe("UsageOutbox", () => {
  it("stores an event once however often it is enqueued, and a replay after the flush changes nothing", async () => {
    const ledger = await newLedger();
    const stub = outbox();
    const e = usageEvent(ledger);
    expect(await stub.enqueue(e)).toEqual({ backlog: 1, full: false, deadLettered: 0 });
    expect(await stub.enqueue(e)).toEqual({ backlog: 1, full: false, deadLettered: 0 });
    await drain(stub);
    expect(await stub.status()).toMatchObject({ backlog: 0 });
    expect(await rowsFor([e.requestId])).toHaveLength(1);
    const before = await metricsFor(ledger.instanceId);
    expect(before).toMatchObject({
      totalRequests: 1,
      successfulRequests: 1,
      totalInputTokens: 10,
      totalOutputTokens: 5,
    });

    await stub.enqueue(e);
    await drain(stub);
    expect(await rowsFor([e.requestId])).toHaveLength(1);
    expect(await metricsFor(ledger.instanceId)).toEqual(before);
  });

  it("stores a group as few rows as fit, once however often it is sent, and writes every event", async () => {
    const ledger = await newLedger();
    const stub = outbox();
    // Error text as long as a host's error body may be (64 KiB): twenty of them do not fit one row.
    const events = Array.from({ length: 20 }, (_, i) => usageEvent(ledger, { error: `${i}`.padEnd(60_000, "x") }));
    const rows = outboxRows(events);
    expect(rows.map((r) => r.events)).toEqual([8, 8, 4]);
    expect(rows.map((r) => r.key)).toEqual([events[0]!.requestId, events[8]!.requestId, events[16]!.requestId]);
    expect(rows.every((r) => r.payload.length <= ROW_MAX_CHARS)).toBe(true);
    expect(rows.flatMap((r) => rowEvents(r.payload) ?? [])).toEqual(events);

    expect(await stub.enqueueBatch(events)).toEqual({ backlog: 20, full: false, deadLettered: 0 });
    // A group sent again (its first call failed after storing) splits into the same rows: stored once.
    expect(await stub.enqueueBatch(events)).toEqual({ backlog: 20, full: false, deadLettered: 0 });
    const stored = await runInDurableObject(stub, (_, state) =>
      state.storage.sql.exec("SELECT request_id, events FROM outbox ORDER BY rowid").toArray(),
    );
    expect(stored).toEqual(rows.map((r) => ({ request_id: r.key, events: r.events })));
    await drain(stub);
    expect(await stub.status()).toEqual({ backlog: 0, full: false, deadLettered: 0 });
    expect(await rowsFor(events.map((e) => e.requestId))).toHaveLength(20);
    expect(await metricsFor(ledger.instanceId)).toMatchObject({ totalRequests: 20 });
  });

  it("takes a stored row for events only when it is a JSON object or an array of them", () => {
    expect(rowEvents('{"requestId":"a"}')).toEqual([{ requestId: "a" }]);
    expect(rowEvents('[{"requestId":"a"},{"requestId":"b"}]')).toEqual([{ requestId: "a" }, { requestId: "b" }]);
    for (const broken of ["{not json", "[1]", '[{"requestId":"a"},null]', "3", "null", '"text"'])
      expect(rowEvents(broken)).toBeNull();
  });

  it("reads what a shard stored before rows held groups (an event a row, no count column)", async () => {
    const ledger = await newLedger();
    const name = uniqueSlug("test-outbox");
    const old = [usageEvent(ledger), usageEvent(ledger)];
    await runInDurableObject(outboxNamed(name), (_, state) => {
      const sql = state.storage.sql;
      sql.exec("DROP TABLE outbox");
      sql.exec(
        "CREATE TABLE outbox (request_id TEXT PRIMARY KEY, payload TEXT NOT NULL, enqueued_at INTEGER NOT NULL)",
      );
      for (const e of old) sql.exec("INSERT INTO outbox VALUES (?, ?, ?)", e.requestId, JSON.stringify(e), Date.now());
    });
    // The object starts again on that storage, as it would after a deploy.
    await expect(runInDurableObject(outboxNamed(name), (_, state) => state.abort("restart"))).rejects.toThrow();
    const stub = outboxNamed(name);
    expect(await stub.status()).toEqual({ backlog: 2, full: false, deadLettered: 0 });
    const group = [usageEvent(ledger), usageEvent(ledger), usageEvent(ledger)];
    expect(await stub.enqueueBatch(group)).toEqual({ backlog: 5, full: false, deadLettered: 0 });
    await drain(stub);
    expect(await stub.status()).toEqual({ backlog: 0, full: false, deadLettered: 0 });
    expect(await rowsFor([...old, ...group].map((e) => e.requestId))).toHaveLength(5);
  });

  it("flushes a backlog larger than one batch, in order, and empties itself", async () => {
    const ledger = await newLedger();
    const stub = outbox();
    const events = Array.from({ length: 520 }, () => usageEvent(ledger, { inputTokens: 1, outputTokens: 1 }));
    for (const e of events) await stub.enqueue(e);
    expect((await stub.status()).backlog).toBe(520);
    await drain(stub);
    expect(await stub.status()).toEqual({ backlog: 0, full: false, deadLettered: 0 });
    expect(await rowsFor(events.map((e) => e.requestId))).toHaveLength(520);
    expect(await metricsFor(ledger.instanceId)).toMatchObject({ totalRequests: 520, totalTokens: 1040 });
  });

  it("sets aside a row Postgres refuses and writes the rest of its batch", async () => {
    const ledger = await newLedger();
    const stub = outbox();
    const good = [usageEvent(ledger), usageEvent(ledger)];
    // Its instance row does not exist (deleted meanwhile): a foreign-key violation, forever.
    const poison = usageEvent(ledger, { instanceId: crypto.randomUUID() });
    for (const e of [good[0]!, poison, good[1]!]) await stub.enqueue(e);
    await drain(stub);
    expect(await stub.status()).toEqual({ backlog: 0, full: false, deadLettered: 1 });
    expect((await rowsFor([...good, poison].map((e) => e.requestId))).map((r) => r.requestId).sort()).toEqual(
      good.map((e) => e.requestId).sort(),
    );
    expect(await metricsFor(ledger.instanceId)).toMatchObject({ totalRequests: 2 });
  });

  it("shows an organization its dead letters, and replays them into Postgres once the cause is fixed", async () => {
    const ledger = await newLedger();
    const stranger = await newLedger();
    const stub = outbox();
    const missingInstance = crypto.randomUUID();
    const poison = usageEvent(ledger, { instanceId: missingInstance });
    const theirs = usageEvent(stranger, { instanceId: crypto.randomUUID() });
    for (const e of [poison, theirs]) await stub.enqueue(e);
    await drain(stub);
    expect(await stub.status()).toMatchObject({ backlog: 0, deadLettered: 2 });
    const listed = await stub.deadLetters(ledger.orgId, 10);
    expect(listed.map((d) => [d.requestId, d.event])).toEqual([[poison.requestId, poison]]);
    expect(listed[0]!.error).toMatch(/^23503 /); // foreign-key violation

    // Replaying before the fix changes nothing: the event comes straight back.
    expect(await stub.replayDeadLetters(ledger.orgId)).toBe(1);
    await drain(stub);
    expect(await stub.status()).toMatchObject({ backlog: 0, deadLettered: 2 });

    await withDb(env, (db) =>
      createInstance(db, {
        id: missingInstance,
        orgId: ledger.orgId,
        modelUuid: ledger.modelUuid,
        baseUrl: "http://127.0.0.1:2",
      }),
    );
    expect(await stub.replayDeadLetters(ledger.orgId)).toBe(1);
    await drain(stub);
    expect(await stub.status()).toMatchObject({ backlog: 0, deadLettered: 1 }); // the other organization's stays
    expect(await rowsFor([poison.requestId])).toHaveLength(1);
    expect(await metricsFor(missingInstance)).toMatchObject({ totalRequests: 1 });
    expect(await stub.deadLetters(ledger.orgId, 10)).toEqual([]);
    expect(await stub.deadLetters(stranger.orgId, 10)).toHaveLength(1);
  });

  it("sets aside an event no database could accept (fractional tokens) instead of retrying its batch forever", async () => {
    const ledger = await newLedger();
    const stub = outbox();
    const good = usageEvent(ledger);
    const poison = usageEvent(ledger, { inputTokens: 1.5 });
    for (const e of [poison, good]) await stub.enqueue(e);
    await drain(stub);
    expect(await stub.status()).toEqual({ backlog: 0, full: false, deadLettered: 1 });
    expect((await rowsFor([good.requestId, poison.requestId])).map((r) => r.requestId)).toEqual([good.requestId]);
  });

  it("sets aside a stored payload that is not JSON and writes the rest of its batch", async () => {
    const ledger = await newLedger();
    const stub = outbox();
    const good = usageEvent(ledger);
    const broken = usageEvent(ledger);
    for (const e of [broken, good]) await stub.enqueue(e);
    await runInDurableObject(stub, (_, state) => {
      state.storage.sql.exec("UPDATE outbox SET payload = ? WHERE request_id = ?", "{not json", broken.requestId);
    });
    await drain(stub);
    expect(await stub.status()).toEqual({ backlog: 0, full: false, deadLettered: 1 });
    expect((await rowsFor([good.requestId, broken.requestId])).map((r) => r.requestId)).toEqual([good.requestId]);
    const dead = await runInDurableObject(stub, (_, state) =>
      state.storage.sql.exec("SELECT request_id, payload FROM dead_letter").toArray(),
    );
    expect(dead).toEqual([{ request_id: broken.requestId, payload: "{not json" }]);
  });

  it("keeps its alarm after an unexpected error outside the Postgres write, and flushes once it clears", async () => {
    const ledger = await newLedger();
    const stub = outbox();
    const e = usageEvent(ledger);
    await stub.enqueue(e);
    const hiccup = () => {
      throw new Error("storage hiccup");
    };
    await runInDurableObject(stub, (_, state) => void Object.assign(state.storage, { transactionSync: hiccup }));
    expect(await runDurableObjectAlarm(stub)).toBe(true); // it ran, and did not throw
    expect(await runInDurableObject(stub, (_, state) => state.storage.getAlarm())).not.toBeNull();
    expect(await stub.status()).toMatchObject({ backlog: 1 });
    await runInDurableObject(stub, (_, state) => {
      delete (state.storage as { transactionSync?: unknown }).transactionSync;
    });
    await drain(stub);
    expect(await stub.status()).toMatchObject({ backlog: 0, deadLettered: 0 });
    expect(await rowsFor([e.requestId])).toHaveLength(1);
  });
});

describe("writeUsageBatch", () => {
  it("counts each request once, by outcome, and a replayed batch changes nothing", async () => {
    const ledger = await newLedger();
    const batch = [
      usageEvent(ledger),
      usageEvent(ledger, { status: "failed", estimated: true, inputTokens: 3, outputTokens: 2 }),
      usageEvent(ledger, { status: "aborted", estimated: true, inputTokens: 4, outputTokens: 1 }),
    ];
    expect(await withDb(env, (db) => writeUsageBatch(db, batch))).toBe(3);
    const once = await metricsFor(ledger.instanceId);
    expect(once).toMatchObject({
      totalRequests: 3,
      successfulRequests: 1,
      failedRequests: 1,
      abortedRequests: 1,
      totalInputTokens: 17,
      totalOutputTokens: 8,
      totalTokens: 25,
    });
    expect(await withDb(env, (db) => writeUsageBatch(db, batch))).toBe(0);
    // Half old, half new: only the new row counts.
    const extra = usageEvent(ledger, { inputTokens: 1, outputTokens: 1 });
    expect(await withDb(env, (db) => writeUsageBatch(db, [batch[0]!, extra]))).toBe(1);
    expect(await metricsFor(ledger.instanceId)).toMatchObject({
      totalRequests: 4,
      successfulRequests: 2,
      totalTokens: 27,
    });
    const rows = await rowsFor([...batch, extra].map((e) => e.requestId));
    expect(rows).toHaveLength(4);
    expect(rows.find((r) => r.requestId === batch[1]!.requestId)).toMatchObject({
      status: "failed",
      usageEstimated: true,
      chargedAmount: "0.00700000",
    });
  });

  it("an older event arriving after a newer one (another shard) counts but does not move the session back", async () => {
    const ledger = await newLedger();
    const instanceB = await withDb(env, (db) =>
      createInstance(db, { orgId: ledger.orgId, modelUuid: ledger.modelUuid, baseUrl: "http://127.0.0.1:2" }),
    );
    const sessionKey = uniqueSlug("session");
    const now = Date.now();
    const newer = usageEvent(ledger, { sessionKey, instanceId: instanceB.id, occurredAt: new Date(now).toISOString() });
    const older = usageEvent(ledger, { sessionKey, occurredAt: new Date(now - 60_000).toISOString() });
    expect(await withDb(env, (db) => writeUsageBatch(db, [newer]))).toBe(1);
    expect(await withDb(env, (db) => writeUsageBatch(db, [older]))).toBe(1);
    const row = await sessionRow(ledger.orgId, sessionKey);
    expect(row).toMatchObject({
      instanceId: instanceB.id,
      modelId: ledger.modelUuid,
      requestCount: 2,
      totalTokens: 30,
    });
    expect(row?.lastUsedAt.getTime()).toBe(now);
    expect(row?.createdAt.getTime()).toBe(now);

    // A later request on A does move it.
    await withDb(env, (db) =>
      writeUsageBatch(db, [usageEvent(ledger, { sessionKey, occurredAt: new Date(now + 1000).toISOString() })]),
    );
    const moved = await sessionRow(ledger.orgId, sessionKey);
    expect(moved).toMatchObject({ instanceId: ledger.instanceId, requestCount: 3 });
  });
});
