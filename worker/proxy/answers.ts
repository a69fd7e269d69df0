// What a host's 2xx answer may be, per endpoint, and which observer reads it as it passes. Chat and
// the JSON endpoints answer JSON or, asked to stream, SSE; audio endpoints answer by what was asked
// in fields the router may not have seen (a transcript as JSON, SSE or plain text; speech as audio
// bytes, or SSE), so their observer is chosen by the answer's own Content-Type.
import { jsonObserver } from "./json-observer";
import type { BodyObserver, RelayEnd } from "./relay";
import { sseObserver } from "./sse-observer";

export type AnswerKind = "json" | "sse" | "transcript" | "audio";

type Reader = (clientWantsUsage: boolean) => BodyObserver;

/**
 * Passes bytes through untouched; a clean end is a completed answer (audio carries no usage). A cut
 * breaks the client's stream: truncated audio must not look like a whole file.
 */
export function byteObserver(): BodyObserver {
  const result = (outcome: RelayEnd["outcome"], error: string | null): RelayEnd => ({
    outcome,
    usage: null,
    outputChars: 0,
    error,
  });
  return {
    chunk: (bytes, emit) => emit(bytes),
    finished: () => null,
    end: () => result("completed", null),
    fail: (reason) => result("failed", reason),
    aborted: () => result("aborted", "client closed the connection"),
    breaksOnFailure: true,
  };
}

const json: Reader = () => jsonObserver();
const sse: Reader = (clientWantsUsage) => sseObserver({ clientWantsUsage });
const bytes: Reader = () => byteObserver();

const READERS: Record<AnswerKind, Record<string, Reader>> = {
  json: { "application/json": json },
  sse: { "text/event-stream": sse },
  // response_format json / verbose_json, stream=true, text / srt / vtt.
  transcript: { "application/json": json, "text/event-stream": sse, "text/plain": bytes },
  // audio/* (wav, mpeg, pcm, …) or raw bytes; stream_format=sse is relayed as it comes.
  audio: { "audio/*": bytes, "application/octet-stream": bytes, "text/event-stream": bytes },
};

const mediaType = (contentType: string | null) => (contentType ?? "").split(";")[0]?.trim().toLowerCase() ?? "";

function readerFor(kind: AnswerKind, contentType: string | null): Reader | undefined {
  const type = mediaType(contentType);
  const readers = READERS[kind];
  return readers[type] ?? (type.startsWith("audio/") ? readers["audio/*"] : undefined);
}

/** The Content-Types an answer of this kind may have, for the error message. */
export const expectedTypes = (kind: AnswerKind): string => Object.keys(READERS[kind]).join("`, `");

/** True when a 2xx answer with this Content-Type is an answer of this kind. */
export const isAnswer = (kind: AnswerKind, contentType: string | null): boolean =>
  readerFor(kind, contentType) !== undefined;

/** True when the answer is JSON, whose usage comes only with its last bytes (attempt.ts reads small ones whole). */
export const readsWhole = (kind: AnswerKind, contentType: string | null): boolean =>
  readerFor(kind, contentType) === json;

/** The observer for an answer that passed isAnswer. */
export function observerFor(kind: AnswerKind, contentType: string | null, clientWantsUsage: boolean): BodyObserver {
  return (readerFor(kind, contentType) ?? bytes)(clientWantsUsage);
}
