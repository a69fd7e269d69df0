// Reads an OpenAI/vLLM SSE stream event by event (not read by read) as it passes:
// records usage, drops the usage chunk the client did not ask for (and the `"usage": null` that
// asking put on every chunk, so the stream is what the host sends such a client), turns an in-stream error
// or a cut into an OpenAI-shaped error event, and never forwards [DONE] after an error. A read whose
// events all pass unchanged, and which starts and ends on an event boundary, goes out as the very bytes
// the host sent: no re-serializing or re-encoding of the common case.
import { createParser, type EventSourceMessage } from "eventsource-parser";
import { openAIError } from "../errors";
import { type TokenUsage, usageFromWire } from "../usage/event";
import type { BodyObserver, RelayEnd } from "./relay";

interface Chunk {
  choices?: { delta?: { content?: unknown }; text?: unknown }[];
  usage?: unknown;
  error?: unknown;
  /** Responses API events are typed (`response.output_text.delta`, `response.completed`…). */
  type?: unknown;
  delta?: unknown;
  response?: { usage?: unknown; error?: unknown };
}

/** Responses API events that end a stream cleanly (it has no [DONE]); the usage is in their response. */
const RESPONSE_DONE = new Set(["response.completed", "response.incomplete"]);

const encoder = new TextEncoder();
const MAX_EVENT_CHARS = 4 * 1024 * 1024;

/** An SSE error event (the status is 502's, upstream_error: the client's 200 is already sent). */
export function errorEvent(fields: Parameters<typeof openAIError>[1]): string {
  return `data: ${JSON.stringify(openAIError(502, fields))}\n\n`;
}

function serialize(ev: EventSourceMessage): string {
  let out = "";
  if (ev.event) out += `event: ${ev.event}\n`;
  if (ev.id !== undefined) out += `id: ${ev.id}\n`;
  for (const line of ev.data.split("\n")) out += `data: ${line}\n`;
  return `${out}\n`;
}

const NULL_USAGE_TAIL = ',"usage":null}';

/** A chunk's data without its `"usage": null` member (vLLM writes it last, compact: a slice suffices). */
function withoutNullUsage(data: string, chunk: Chunk): string {
  if (data.endsWith(NULL_USAGE_TAIL)) return `${data.slice(0, -NULL_USAGE_TAIL.length)}}`;
  const { usage: _dropped, ...rest } = chunk;
  return JSON.stringify(rest);
}

/** The upstream's error object in OpenAI's shape, whichever vLLM version sent it. */
function upstreamErrorEvent(error: unknown): string {
  const e = (typeof error === "object" && error !== null ? error : { message: String(error) }) as Record<
    string,
    unknown
  >;
  return errorEvent({ ...e, message: typeof e.message === "string" ? e.message : "upstream error" });
}

export function sseObserver(opts: { clientWantsUsage: boolean }): BodyObserver {
  const decoder = new TextDecoder();
  let usage: TokenUsage | null = null;
  let outputChars = 0;
  let sawDone = false;
  let error: string | null = null;
  let out = "";
  // Events of the current read that pass unchanged, not yet serialized: while nothing in the read is
  // changed, its own bytes can go out instead (see `chunk`).
  let kept: (EventSourceMessage | string)[] = [];
  let verbatim = true;
  /** Something in this read is changed or dropped: what passed unchanged before it is serialized now. */
  const rewrite = () => {
    if (!verbatim) return;
    verbatim = false;
    for (const k of kept) out += typeof k === "string" ? k : serialize(k);
    kept = [];
  };
  const pass = (ev: EventSourceMessage | string) => {
    if (verbatim) kept.push(ev);
    else out += typeof ev === "string" ? ev : serialize(ev);
  };

  const onEvent = (ev: EventSourceMessage) => {
    if (sawDone || error) return rewrite();
    if (ev.data === "[DONE]") {
      sawDone = true;
      return pass(ev);
    }
    let chunk: Chunk;
    try {
      chunk = JSON.parse(ev.data) as Chunk;
    } catch {
      return pass(ev);
    }
    if (chunk.error !== undefined && chunk.error !== null) {
      error = "upstream error event";
      rewrite();
      out += upstreamErrorEvent(chunk.error);
      return;
    }
    if (typeof chunk.type === "string" && chunk.type.startsWith("response.")) {
      if (chunk.type === "response.output_text.delta" && typeof chunk.delta === "string")
        outputChars += chunk.delta.length;
      if (RESPONSE_DONE.has(chunk.type)) {
        usage = usageFromWire(chunk.response?.usage) ?? usage;
        sawDone = true;
      }
      if (chunk.type === "response.failed") error = "upstream response.failed event";
      return pass(ev);
    }
    if (chunk.usage) usage = usageFromWire(chunk.usage) ?? usage;
    for (const choice of chunk.choices ?? []) {
      const piece = choice.delta?.content ?? choice.text;
      if (typeof piece === "string") outputChars += piece.length;
    }
    const usageOnly = Array.isArray(chunk.choices) && chunk.choices.length === 0 && chunk.usage;
    if (usageOnly && !opts.clientWantsUsage) return rewrite();
    if (chunk.usage === null && !opts.clientWantsUsage) {
      rewrite();
      out += serialize({ ...ev, data: withoutNullUsage(ev.data, chunk) });
    } else pass(ev);
  };
  const parser = createParser({
    onEvent,
    onComment: (c) => pass(`: ${c}\n\n`),
    onError: (e) => {
      if (e.type !== "max-buffer-size-exceeded" || error) return;
      error = "upstream event exceeds the size limit";
      rewrite();
      out += errorEvent({
        message: `The GPU host sent an event larger than ${MAX_EVENT_CHARS} characters.`,
        code: "upstream_event_too_large",
      });
    },
    // One vLLM event is a few hundred bytes; a host that never ends one must not grow memory without bound.
    maxBufferSize: MAX_EVENT_CHARS,
  });
  // A final bare CR is a line end the parser cannot confirm until it sees the next character.
  let lastWasCR = false;
  const feed = (text: string) => {
    if (text === "" || error) return;
    lastWasCR = text.charCodeAt(text.length - 1) === 13;
    parser.feed(text);
  };

  // Set while the text fed so far ends on an event boundary. CRLF reads are always re-serialized (normalized).
  let atBoundary = true;
  /** Emits this read's output: `own` (the read's bytes, when it is whole events) if nothing was changed, else what was serialized. */
  const flush = (emit: (b: Uint8Array) => void, own?: Uint8Array) => {
    if (verbatim && own) {
      if (kept.length > 0) emit(own);
    } else {
      rewrite();
      if (out) emit(encoder.encode(out));
    }
    out = "";
    kept = [];
    verbatim = true;
  };
  const result = (outcome: RelayEnd["outcome"], err: string | null): RelayEnd => ({
    outcome,
    usage,
    outputChars,
    error: err,
  });

  return {
    chunk(bytes, emit) {
      const text = decoder.decode(bytes, { stream: true });
      // The read is whole events and nothing else: it began where an event ended, and ends one itself.
      const endsEvent = text.endsWith("\n\n");
      const whole = atBoundary && endsEvent && !text.includes("\r");
      atBoundary = endsEvent;
      feed(text);
      flush(emit, whole ? bytes : undefined);
    },
    finished: () => (error ? result("failed", error) : sawDone ? result("completed", null) : null),
    end(emit) {
      feed(decoder.decode());
      if (lastWasCR) feed("\n");
      flush(emit);
      if (sawDone && !error) return result("completed", null);
      if (error) return result("failed", error);
      emit(
        encoder.encode(
          errorEvent({ message: "The GPU host ended the stream before it was complete.", code: "upstream_stream_cut" }),
        ),
      );
      return result("failed", "stream ended without [DONE]");
    },
    fail(reason, emit) {
      flush(emit);
      emit(
        encoder.encode(errorEvent({ message: `The GPU host stream broke: ${reason}.`, code: "upstream_stream_cut" })),
      );
      return result("failed", reason);
    },
    aborted: () => result("aborted", "client closed the connection"),
  };
}
