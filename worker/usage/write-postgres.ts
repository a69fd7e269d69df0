// Writes a batch of usage events in one transaction. Rows are keyed by request id and the
// counters are bumped only for rows this call inserted, so replaying a batch changes nothing.
import { sql } from "drizzle-orm";
import { chatSessions, inferenceUsage, instanceRequestMetrics, runtimeModels } from "../../schema";
import type { Db } from "../db";
import { eventCharge, secondsText, type UsageEvent } from "./event";
import { bumpMetricCounters } from "./write-metrics";

interface Totals {
  requests: number;
  succeeded: number;
  failed: number;
  aborted: number;
  input: number;
  output: number;
  first: Date;
  last: Date;
}

function addTo(map: Map<string, Totals>, key: string, e: UsageEvent): void {
  const at = new Date(e.occurredAt);
  const t = map.get(key) ?? {
    requests: 0,
    succeeded: 0,
    failed: 0,
    aborted: 0,
    input: 0,
    output: 0,
    first: at,
    last: at,
  };
  t.requests += 1;
  t[e.status === "succeeded" ? "succeeded" : e.status === "failed" ? "failed" : "aborted"] += 1;
  t.input += e.inputTokens;
  t.output += e.outputTokens;
  if (at < t.first) t.first = at;
  if (at > t.last) t.last = at;
  map.set(key, t);
}

/** Counter rows in one order in every transaction, so two shards flushing at once cannot deadlock. */
const inKeyOrder = <T>(map: Map<string, T>): [string, T][] => [...map].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

export async function writeUsageBatch(db: Db, events: UsageEvent[]): Promise<number> {
  if (events.length === 0) return 0;
  return db.transaction(async (tx) => {
    const inserted = await tx
      .insert(inferenceUsage)
      .values(
        events.map((e) => ({
          requestId: e.requestId,
          occurredAt: new Date(e.occurredAt),
          apiKeyId: e.apiKeyId,
          consumerOrganizationId: e.organizationId,
          organizationModelId: e.offeringId,
          modelId: e.modelUuid,
          instanceId: e.instanceId,
          endpoint: e.endpoint,
          kind: e.kind ?? "generation",
          status: e.status,
          inputTokens: e.inputTokens,
          outputTokens: e.outputTokens,
          totalTokens: e.inputTokens + e.outputTokens,
          usageEstimated: e.estimated,
          unitPriceInputPer1k: e.priceInputPer1k,
          unitPriceOutputPer1k: e.priceOutputPer1k,
          audioSeconds: secondsText(e.audioMs ?? 0),
          inputCharacters: e.inputCharacters ?? 0,
          unitPricePerAudioSecond: e.pricePerAudioSecond ?? "0",
          unitPricePerCharacter: e.pricePerCharacter ?? "0",
          chargedAmount: eventCharge(e),
          metadata: {
            x_request_id: e.clientRequestId,
            model: e.modelHfId,
            session: e.sessionKey,
            http_status: e.httpStatus,
            attempts: e.attempts,
            duration_ms: e.durationMs,
            ttft_ms: e.ttftMs ?? null,
            error: e.error,
          },
        })),
      )
      .onConflictDoNothing({ target: inferenceUsage.requestId })
      .returning({ requestId: inferenceUsage.requestId });
    const fresh = new Set(inserted.map((r) => r.requestId));
    const newEvents = events.filter((e) => fresh.has(e.requestId));

    const byInstance = new Map<string, Totals>();
    const byModel = new Map<string, Totals>();
    const bySession = new Map<string, Totals>();
    const latestInSession = new Map<string, UsageEvent>();
    for (const e of newEvents) {
      // A refused request reached no host and no session: it is in the ledger and the /metrics counters only.
      if (e.status === "refused") continue;
      if (e.instanceId) addTo(byInstance, e.instanceId, e);
      addTo(byModel, e.modelHfId, e);
      if (e.sessionKey) {
        const key = `${e.organizationId}\u0000${e.sessionKey}`;
        addTo(bySession, key, e);
        const latest = latestInSession.get(key);
        if (!latest || e.occurredAt >= latest.occurredAt) latestInSession.set(key, e);
      }
    }

    for (const [instanceId, t] of inKeyOrder(byInstance)) {
      await tx
        .insert(instanceRequestMetrics)
        .values({
          instanceId,
          totalRequests: t.requests,
          successfulRequests: t.succeeded,
          failedRequests: t.failed,
          abortedRequests: t.aborted,
          totalInputTokens: t.input,
          totalOutputTokens: t.output,
          totalTokens: t.input + t.output,
          firstRequestAt: t.first,
          lastRequestAt: t.last,
        })
        .onConflictDoUpdate({
          target: instanceRequestMetrics.instanceId,
          set: {
            totalRequests: sql`${instanceRequestMetrics.totalRequests} + ${t.requests}`,
            successfulRequests: sql`${instanceRequestMetrics.successfulRequests} + ${t.succeeded}`,
            failedRequests: sql`${instanceRequestMetrics.failedRequests} + ${t.failed}`,
            abortedRequests: sql`${instanceRequestMetrics.abortedRequests} + ${t.aborted}`,
            totalInputTokens: sql`${instanceRequestMetrics.totalInputTokens} + ${t.input}`,
            totalOutputTokens: sql`${instanceRequestMetrics.totalOutputTokens} + ${t.output}`,
            totalTokens: sql`${instanceRequestMetrics.totalTokens} + ${t.input + t.output}`,
            firstRequestAt: sql`least(${instanceRequestMetrics.firstRequestAt}, ${t.first})`,
            lastRequestAt: sql`greatest(${instanceRequestMetrics.lastRequestAt}, ${t.last})`,
          },
        });
    }

    for (const [modelId, t] of inKeyOrder(byModel)) {
      await tx
        .insert(runtimeModels)
        .values({
          modelId,
          firstSeenAt: t.first,
          lastSeenAt: t.last,
          totalRequests: t.requests,
          failedRequests: t.failed,
        })
        .onConflictDoUpdate({
          target: runtimeModels.modelId,
          set: {
            lastSeenAt: sql`greatest(${runtimeModels.lastSeenAt}, ${t.last})`,
            totalRequests: sql`${runtimeModels.totalRequests} + ${t.requests}`,
            failedRequests: sql`${runtimeModels.failedRequests} + ${t.failed}`,
          },
        });
    }

    for (const [key, t] of inKeyOrder(bySession)) {
      const e = latestInSession.get(key);
      if (!e) continue;
      // Shards flush independently, so this batch may be older than what the row has seen: it then
      // adds to the counters but must not move the session back to an earlier model or instance.
      const newer = sql`${t.last}::timestamptz >= ${chatSessions.lastUsedAt}`;
      await tx
        .insert(chatSessions)
        .values({
          organizationId: e.organizationId,
          sessionKey: e.sessionKey ?? "",
          modelId: e.modelUuid,
          instanceId: e.instanceId,
          requestCount: t.requests,
          totalTokens: t.input + t.output,
          createdAt: t.first,
          lastUsedAt: t.last,
        })
        .onConflictDoUpdate({
          target: [chatSessions.organizationId, chatSessions.sessionKey],
          set: {
            modelId: sql`case when ${newer} then ${e.modelUuid}::uuid else ${chatSessions.modelId} end`,
            instanceId: sql`case when ${newer} then coalesce(${e.instanceId}::uuid, ${chatSessions.instanceId}) else ${chatSessions.instanceId} end`,
            requestCount: sql`${chatSessions.requestCount} + ${t.requests}`,
            totalTokens: sql`${chatSessions.totalTokens} + ${t.input + t.output}`,
            lastUsedAt: sql`greatest(${chatSessions.lastUsedAt}, ${t.last})`,
          },
        });
    }
    await bumpMetricCounters(tx, newEvents);
    return newEvents.length;
  });
}
