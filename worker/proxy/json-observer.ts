// Passes a JSON body through untouched and reads its usage once it is complete.
import { type HostUsage, usageFromWire } from "../usage/event";
import type { BodyObserver, RelayEnd } from "./relay";

interface Completion {
  usage?: unknown;
  choices?: { message?: { content?: unknown }; text?: unknown }[];
}

// The usage object, allowing one level of nesting (`prompt_tokens_details: {...}`).
const USAGE_MEMBER = /"usage"\s*:\s*(\{(?:[^{}]|\{[^{}]*\})*\})/g;
/** Enough of the body's end to hold its usage member. */
const TAIL_CHARS = 4096;
/**
 * Bodies up to this size are also kept whole, to count the generated text when the tail has no
 * usage. A float embeddings answer can be tens of MB, and an isolate's 128 MB is shared by all
 * its requests (exceeding it kills them all): beyond this, only the tail is held.
 */
const FULL_TEXT_MAX_CHARS = 1 << 20;

function tailUsage(tail: string): HostUsage | null {
  let last: string | undefined;
  for (const m of tail.matchAll(USAGE_MEMBER)) last = m[1];
  if (last === undefined) return null;
  try {
    return usageFromWire(JSON.parse(last));
  } catch {
    return null;
  }
}

function generatedChars(body: Completion): number {
  let chars = 0;
  for (const c of body.choices ?? []) {
    const piece = c.message?.content ?? c.text;
    if (typeof piece === "string") chars += piece.length;
  }
  return chars;
}

const result = (
  outcome: RelayEnd["outcome"],
  usage: HostUsage | null,
  outputChars: number,
  error: string | null,
): RelayEnd => ({ outcome, usage, outputChars, error });

/** How a complete JSON answer ended, from its tail and (when it was small enough to keep) its whole text. */
function answerEnd(tail: string, full: string | null): RelayEnd {
  // Usage is the body's last member (OpenAI, vLLM): read it from the tail, so a large body
  // (embeddings) is never parsed whole. A quote inside a JSON string is escaped, so
  // `"usage":{` in the raw text is always structure.
  const usage = tailUsage(tail);
  if (usage) return result("completed", usage, 0, null);
  // Too big to have kept: no usage, and no text counted. Bodies this large are embeddings in
  // practice, which generate no text; guessing from the byte count would bill JSON and floats
  // as output. The event is still marked estimated (input from the prompt).
  if (full === null) return result("completed", null, 0, null);
  try {
    const body = JSON.parse(full) as Completion;
    return result("completed", usageFromWire(body.usage), generatedChars(body), null);
  } catch {
    // Declared JSON (forward.ts checked the Content-Type) but not JSON: the host's fault, not billable.
    return {
      ...result("failed", { inputTokens: 0, outputTokens: 0 }, 0, "response body was not JSON"),
      workerFault: true,
    };
  }
}

/** A JSON answer read whole (proxy/attempt.ts): the same reading as the relay's, in one pass. */
export function wholeJsonEnd(bytes: Uint8Array): RelayEnd {
  const text = new TextDecoder().decode(bytes);
  return answerEnd(text.slice(-TAIL_CHARS), text.length <= FULL_TEXT_MAX_CHARS ? text : null);
}

export function jsonObserver(): BodyObserver {
  const decoder = new TextDecoder();
  let tail = "";
  // The whole text while it is under the cap; null once it has grown past it.
  let full: string | null = "";
  const take = (piece: string) => {
    tail = (tail + piece).slice(-TAIL_CHARS);
    if (full !== null) full = full.length + piece.length <= FULL_TEXT_MAX_CHARS ? full + piece : null;
  };
  return {
    chunk(bytes, emit) {
      // Decoded before it is emitted: enqueueing could one day transfer (detach) the buffer.
      take(decoder.decode(bytes, { stream: true }));
      emit(bytes);
    },
    finished: () => null,
    end() {
      take(decoder.decode());
      return answerEnd(tail, full);
    },
    fail: (reason) => result("failed", null, 0, reason),
    aborted: () => result("aborted", null, 0, "client closed the connection"),
  };
}
