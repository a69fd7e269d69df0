// writeUsageBatch's rules for the counter tables it feeds in its one statement: replays change
// nothing anywhere, a session follows its latest event, refused requests reach only the ledger and
// /metrics, a request id twice in a batch counts once.
import { env } from "cloudflare:test";
import { asc, eq, inArray } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { createInstance, createModel, uniqueSlug } from "../../dev/fixtures";
import {
  chatSessions,
  inferenceUsage,
  instanceRequestMetrics,
  runtimeModels,
  usageCounters,
  usageHistogramBuckets,
} from "../../schema";
import { withDb } from "../../worker/db";
import type { UsageEvent } from "../../worker/usage/event";
import { writeUsageBatch } from "../../worker/usage/write-postgres";
import { type Ledger, newLedger, usageEvent } from "./support/usage-ledger";

const write = (batch: UsageEvent[]) => withDb(env, (db) => writeUsageBatch(db, batch));

/** A second model and instance in the ledger's organization. */
const otherModel = (l: Ledger) =>
  withDb(env, async (db) => {
    const hfId = `test/${uniqueSlug("other-model")}`;
    const uuid = await createModel(db, { modelId: hfId, priceInputPer1k: "1", priceOutputPer1k: "2" });
    const instance = await createInstance(db, { orgId: l.orgId, modelUuid: uuid, baseUrl: "http://127.0.0.1:3" });
    return { hfId, uuid, instanceId: instance.id };
  });

/** Every counter row the ledger's organization, instances and models have. */
const counterRows = (l: Ledger, instanceIds: string[], hfIds: string[]) =>
  withDb(env, async (db) => ({
    instances: await db
      .select()
      .from(instanceRequestMetrics)
      .where(inArray(instanceRequestMetrics.instanceId, instanceIds))
      .orderBy(asc(instanceRequestMetrics.instanceId)),
    models: await db
      .select()
      .from(runtimeModels)
      .where(inArray(runtimeModels.modelId, hfIds))
      .orderBy(asc(runtimeModels.modelId)),
    sessions: await db
      .select()
      .from(chatSessions)
      .where(eq(chatSessions.organizationId, l.orgId))
      .orderBy(asc(chatSessions.sessionKey)),
    counters: await db
      .select()
      .from(usageCounters)
      .where(eq(usageCounters.organizationId, l.orgId))
      .orderBy(asc(usageCounters.model), asc(usageCounters.httpStatus), asc(usageCounters.outcome)),
    buckets: await db
      .select()
      .from(usageHistogramBuckets)
      .where(eq(usageHistogramBuckets.organizationId, l.orgId))
      .orderBy(asc(usageHistogramBuckets.model), asc(usageHistogramBuckets.histogram), asc(usageHistogramBuckets.leMs)),
  }));

const at = (ms: number) => new Date(ms).toISOString();

describe("writeUsageBatch", () => {
  it("changes no counter table when a batch is replayed, and counts only the new half of a half-old one", async () => {
    const l = await newLedger();
    const b = await otherModel(l);
    const t = Date.parse("2030-01-01T00:00:00Z");
    const batch = [
      usageEvent(l, { sessionKey: "s", occurredAt: at(t), durationMs: 40, ttftMs: 7 }),
      usageEvent(l, { sessionKey: "s", occurredAt: at(t + 1), status: "failed", httpStatus: 502 }),
      usageEvent(l, { modelUuid: b.uuid, modelHfId: b.hfId, instanceId: b.instanceId, occurredAt: at(t + 2) }),
      usageEvent(l, { status: "refused", httpStatus: 429, instanceId: null, inputTokens: 4, outputTokens: 0 }),
    ];
    const read = () => counterRows(l, [l.instanceId, b.instanceId], [l.modelHfId, b.hfId]);
    expect(await write(batch)).toBe(4);
    const once = await read();
    expect(once.instances.map((r) => r.totalRequests).sort()).toEqual([1, 2]);
    expect(once.sessions.map((r) => [r.sessionKey, r.requestCount, r.totalTokens])).toEqual([["s", 2, 30]]);
    const counted = once.counters.map(
      (r) => `${r.model === b.hfId ? "B" : "A"} ${r.httpStatus} ${r.outcome} ${r.requests}`,
    );
    expect(counted.sort()).toEqual(["A 200 succeeded 1", "A 429 refused 1", "A 502 failed 1", "B 200 succeeded 1"]);
    expect(await write(batch)).toBe(0);
    expect(await write([...batch].reverse())).toBe(0);
    expect(await read()).toEqual(once);

    const extra = usageEvent(l, { sessionKey: "s", occurredAt: at(t + 3), inputTokens: 1, outputTokens: 1 });
    expect(await write([batch[1]!, extra, batch[3]!])).toBe(1);
    const twice = await read();
    expect(twice.sessions).toEqual([
      { ...once.sessions[0]!, requestCount: 3, totalTokens: 32, lastUsedAt: new Date(t + 3) },
    ]);
    expect(twice.instances.find((r) => r.instanceId === l.instanceId)).toMatchObject({
      totalRequests: 3,
      successfulRequests: 2,
      failedRequests: 1,
      totalTokens: 32,
      firstRequestAt: new Date(t),
      lastRequestAt: new Date(t + 3),
    });
    expect(twice.instances.find((r) => r.instanceId === b.instanceId)).toEqual(
      once.instances.find((r) => r.instanceId === b.instanceId),
    );
  });

  it("moves a session to the model and instance of its batch's latest event (of two at one instant, the later)", async () => {
    const l = await newLedger();
    const b = await otherModel(l);
    const t = Date.parse("2030-01-02T00:00:00Z");
    const onB = { modelUuid: b.uuid, modelHfId: b.hfId, instanceId: b.instanceId };
    await write([
      // "latest": B's event, neither first nor last in the batch.
      usageEvent(l, { sessionKey: "latest", occurredAt: at(t) }),
      usageEvent(l, { sessionKey: "latest", occurredAt: at(t + 2000), ...onB }),
      usageEvent(l, { sessionKey: "latest", occurredAt: at(t + 1000) }),
      // "tie": two at one instant, the later one in the batch (no instance) wins.
      usageEvent(l, { sessionKey: "tie", occurredAt: at(t), ...onB }),
      usageEvent(l, { sessionKey: "tie", occurredAt: at(t), instanceId: null }),
    ]);
    const { sessions } = await counterRows(l, [], []);
    expect(sessions).toEqual([
      {
        organizationId: l.orgId,
        sessionKey: "latest",
        modelId: b.uuid,
        instanceId: b.instanceId,
        requestCount: 3,
        totalTokens: 45,
        createdAt: new Date(t),
        lastUsedAt: new Date(t + 2000),
      },
      {
        organizationId: l.orgId,
        sessionKey: "tie",
        modelId: l.modelUuid,
        instanceId: null,
        requestCount: 2,
        totalTokens: 30,
        createdAt: new Date(t),
        lastUsedAt: new Date(t),
      },
    ]);

    // A newer batch without an instance moves the model and keeps the instance it had.
    await write([usageEvent(l, { sessionKey: "latest", occurredAt: at(t + 5000), instanceId: null })]);
    expect((await counterRows(l, [], [])).sessions[0]).toMatchObject({
      modelId: l.modelUuid,
      instanceId: b.instanceId,
      requestCount: 4,
      lastUsedAt: new Date(t + 5000),
    });
  });

  it("counts a refused request in the ledger and the /metrics counters only", async () => {
    const l = await newLedger();
    const refused = usageEvent(l, { status: "refused", httpStatus: 429, sessionKey: "s", durationMs: 3 });
    expect(await write([refused])).toBe(1);
    const rows = await counterRows(l, [l.instanceId], [l.modelHfId]);
    expect(rows).toEqual({
      instances: [],
      models: [],
      sessions: [],
      counters: [
        {
          organizationId: l.orgId,
          model: l.modelHfId,
          httpStatus: 429,
          outcome: "refused",
          requests: 1,
          inputTokens: 10,
          outputTokens: 5,
          chargedAmount: "0.02000000",
          durationMsSum: 3,
          ttftCount: 0,
          ttftMsSum: 0,
        },
      ],
      buckets: [{ organizationId: l.orgId, model: l.modelHfId, histogram: "duration", leMs: 5, count: 1 }],
    });
  });

  it("counts a request id given twice in one batch once", async () => {
    const l = await newLedger();
    const e = usageEvent(l, { sessionKey: "s" });
    expect(await write([e, { ...e, inputTokens: 99 }])).toBe(1);
    const rows = await counterRows(l, [l.instanceId], [l.modelHfId]);
    expect(rows.instances[0]).toMatchObject({ totalRequests: 1, totalInputTokens: 10 });
    expect(rows.models[0]).toMatchObject({ totalRequests: 1, failedRequests: 0 });
    expect(rows.sessions[0]).toMatchObject({ requestCount: 1, totalTokens: 15 });
    expect(rows.counters[0]).toMatchObject({ requests: 1, inputTokens: 10 });
    const ledger = await withDb(env, (db) =>
      db.select().from(inferenceUsage).where(eq(inferenceUsage.requestId, e.requestId)),
    );
    expect(ledger.map((r) => r.inputTokens)).toEqual([10]);
  });
});
