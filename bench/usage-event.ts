// A plain usage event for the benchmarks that store or write them (bench/objects, bench/usage-write.ts):
// a successful chat, with ids that `over` replaces when the rows must satisfy a real database's keys.
import type { UsageEvent } from "../worker/usage/event";

export function benchUsageEvent(i: number, over: Partial<UsageEvent> = {}): UsageEvent {
  return {
    requestId: crypto.randomUUID(),
    clientRequestId: `bench-${i}`,
    occurredAt: new Date().toISOString(),
    endpoint: "/v1/chat/completions",
    status: "succeeded",
    apiKeyId: "00000000-0000-4000-8000-000000000001",
    organizationId: "00000000-0000-4000-8000-000000000002",
    modelUuid: "00000000-0000-4000-8000-000000000003",
    modelHfId: "bench/model",
    offeringId: null,
    instanceId: null,
    sessionKey: null,
    estimated: false,
    priceInputPer1k: "0.5",
    priceOutputPer1k: "1.5",
    httpStatus: 200,
    attempts: 1,
    durationMs: 5,
    inputTokens: 10,
    outputTokens: 20,
    error: null,
    ...over,
  };
}
