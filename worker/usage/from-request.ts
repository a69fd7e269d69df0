// How a finished request becomes a usage event: which status it counts as, and which tokens
// (the host's own usage; an estimate when it sent none; nothing when it answered an error).
import type { UsageKind } from "../../schema";
import type { Caller } from "../app-env";
import type { RelayEnd } from "../proxy/relay";
import type { ResolvedModel } from "../routing/resolve-model";
import { estimateTokens, MAX_TOKENS, storableText, type TokenUsage, type UsageEvent } from "./event";

/** What the router knows of a request before it is sent. */
export interface MeteredRequest {
  requestId: string;
  ledgerId: string;
  endpoint: string;
  promptChars: number;
  resolved: ResolvedModel;
  caller: Caller;
  sessionKey: string | null;
  /** Default generation; a utility call keeps the host's counts but is not charged. */
  kind?: UsageKind;
}

/** How it ended: who served it, with what status, after how many attempts. */
export interface RequestEnd {
  instanceId: string | null;
  httpStatus: number;
  attempts: number;
  startedAt: number;
  endedAt: number;
  /** When a streamed answer's first body bytes arrived, when they did. */
  firstChunkAt?: number | null;
  relay: RelayEnd;
}

export function usageEventFor(req: MeteredRequest, done: RequestEnd): UsageEvent {
  const { relay } = done;
  // A host that answered an error generated nothing: nothing to estimate, nothing to charge.
  const refused = done.httpStatus >= 400;
  const tokens: TokenUsage =
    relay.usage ??
    (refused
      ? { inputTokens: 0, outputTokens: 0 }
      : {
          inputTokens: Math.min(estimateTokens(req.promptChars), MAX_TOKENS),
          outputTokens: Math.min(estimateTokens(relay.outputChars), MAX_TOKENS),
        });
  return {
    requestId: req.ledgerId,
    clientRequestId: req.requestId,
    occurredAt: new Date(done.startedAt).toISOString(),
    endpoint: req.endpoint,
    kind: req.kind ?? "generation",
    status:
      relay.outcome === "completed" && !refused ? "succeeded" : relay.outcome === "aborted" ? "aborted" : "failed",
    apiKeyId: req.caller.apiKeyId,
    organizationId: req.caller.organizationId,
    modelUuid: req.resolved.model.id,
    modelHfId: req.resolved.model.hfId,
    offeringId: req.resolved.offering?.id ?? null,
    instanceId: done.instanceId,
    sessionKey: req.sessionKey,
    estimated: relay.usage === null && !refused,
    ...tokens,
    priceInputPer1k: req.kind === "utility" ? "0" : req.resolved.priceInputPer1k,
    priceOutputPer1k: req.kind === "utility" ? "0" : req.resolved.priceOutputPer1k,
    httpStatus: done.httpStatus,
    attempts: done.attempts,
    durationMs: done.endedAt - done.startedAt,
    ttftMs: done.firstChunkAt == null ? null : done.firstChunkAt - done.startedAt,
    // The host's words, which may hold what Postgres refuses: every event the outbox holds must be writable.
    error: relay.error === null ? null : storableText(relay.error),
  };
}

/**
 * A request the router answered itself before any host saw it (refused by its limits, or its limits
 * could not be checked): a row with the router's status, nothing counted, nothing charged.
 */
export function unservedEvent(
  req: MeteredRequest,
  httpStatus: number,
  status: "refused" | "failed",
  startedAt: number,
  error: string,
): UsageEvent {
  const relay: RelayEnd = { outcome: "failed", usage: { inputTokens: 0, outputTokens: 0 }, outputChars: 0, error };
  return {
    ...usageEventFor(req, { instanceId: null, httpStatus, attempts: 0, startedAt, endedAt: Date.now(), relay }),
    status,
  };
}
