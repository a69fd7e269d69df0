// How a finished request becomes a usage event: which status it counts as, and which tokens
// (the host's own usage; an estimate when it sent none; nothing when it answered an error).
import type { UsageKind } from "../../schema";
import type { Caller } from "../app-env";
import type { RelayEnd } from "../proxy/relay";
import type { ResolvedModel } from "../routing/resolve-model";
import {
  type AudioQuantities,
  estimateTokens,
  MAX_TOKENS,
  storableText,
  type TokenUsage,
  type UsageEvent,
} from "./event";

/** What an audio request carries by its own account (the file's duration, the text's length). */
export interface AudioMeasure extends AudioQuantities {
  /** Guessed (from an upload's size), not read from the file. */
  estimated: boolean;
}

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
  /** Audio kinds: read once the request has ended (an upload has passed through by then). */
  audio?: () => AudioMeasure;
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

const AUDIO_IN = new Set<UsageKind>(["transcription", "translation"]);

/**
 * An audio request is priced by its own unit, and only when it succeeded (a cut transcript or speech
 * is not charged): seconds of audio in (the host's usage, else the file's own duration), characters
 * of text in. Its token counts are the host's, when it sent any, for the record; never estimated.
 */
function audioPart(req: MeteredRequest, done: RequestEnd, succeeded: boolean) {
  const { relay } = done;
  const audioIn = AUDIO_IN.has(req.kind ?? "generation");
  const measured = succeeded ? req.audio?.() : undefined;
  const hostMs = relay.usage?.audioMs;
  return {
    inputTokens: relay.usage?.inputTokens ?? 0,
    outputTokens: relay.usage?.outputTokens ?? 0,
    estimated: audioIn && succeeded && hostMs === undefined && measured?.estimated === true,
    audioMs: audioIn ? (hostMs ?? measured?.audioMs ?? 0) : 0,
    inputCharacters: measured?.inputCharacters ?? 0,
    priceInputPer1k: "0",
    priceOutputPer1k: "0",
    pricePerAudioSecond: audioIn ? req.resolved.pricePerAudioSecond : "0",
    pricePerCharacter: req.kind === "speech" ? req.resolved.pricePerCharacter : "0",
  };
}

/** A text request: the host's tokens, else an estimate; priced per token (a utility call at 0). */
function tokenPart(req: MeteredRequest, done: RequestEnd) {
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
    inputTokens: tokens.inputTokens,
    outputTokens: tokens.outputTokens,
    estimated: relay.usage === null && !refused,
    priceInputPer1k: req.kind === "utility" ? "0" : req.resolved.priceInputPer1k,
    priceOutputPer1k: req.kind === "utility" ? "0" : req.resolved.priceOutputPer1k,
  };
}

export function usageEventFor(req: MeteredRequest, done: RequestEnd): UsageEvent {
  const { relay } = done;
  const refused = done.httpStatus >= 400;
  const status =
    relay.outcome === "completed" && !refused ? "succeeded" : relay.outcome === "aborted" ? "aborted" : "failed";
  const metered = req.audio ? audioPart(req, done, status === "succeeded") : tokenPart(req, done);
  return {
    requestId: req.ledgerId,
    clientRequestId: req.requestId,
    occurredAt: new Date(done.startedAt).toISOString(),
    endpoint: req.endpoint,
    kind: req.kind ?? "generation",
    status,
    apiKeyId: req.caller.apiKeyId,
    organizationId: req.caller.organizationId,
    modelUuid: req.resolved.model.id,
    modelHfId: req.resolved.model.hfId,
    offeringId: req.resolved.offering?.id ?? null,
    instanceId: done.instanceId,
    sessionKey: req.sessionKey,
    ...metered,
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
