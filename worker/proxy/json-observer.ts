// Passes a JSON body through untouched and reads its usage once it is complete.
import { usageFromWire, type TokenUsage } from "../usage/event";
import type { BodyObserver, RelayEnd } from "./relay";

interface Completion {
  usage?: unknown;
  choices?: { message?: { content?: unknown }; text?: unknown }[];
}

const USAGE_MEMBER = /"usage"\s*:\s*(\{[^{}]*\})/g;
const TAIL_CHARS = 4096;

function tailUsage(text: string): TokenUsage | null {
  let last: string | undefined;
  for (const m of text.slice(-TAIL_CHARS).matchAll(USAGE_MEMBER)) last = m[1];
  if (last === undefined) return null;
  try {
    return usageFromWire(JSON.parse(last));
  } catch {
    return null;
  }
}

export function jsonObserver(): BodyObserver {
  const decoder = new TextDecoder();
  let text = "";
  const result = (outcome: RelayEnd["outcome"], usage: TokenUsage | null, outputChars: number, error: string | null): RelayEnd => ({
    outcome,
    usage,
    outputChars,
    error,
  });
  return {
    chunk(bytes, emit) {
      text += decoder.decode(bytes, { stream: true });
      emit(bytes);
    },
    finished: () => null,
    end() {
      text += decoder.decode();
      // Usage is the body's last member (OpenAI, vLLM): read it from the tail, so a large body
      // (embeddings) is not parsed whole before the client gets its last byte. A quote inside a
      // JSON string is escaped, so `"usage":{` in the raw text is always structure.
      const tail = tailUsage(text);
      if (tail) return result("completed", tail, 0, null);
      try {
        const body = JSON.parse(text) as Completion;
        const usage = usageFromWire(body.usage);
        let chars = 0;
        for (const c of body.choices ?? []) {
          const piece = c.message?.content ?? c.text;
          if (typeof piece === "string") chars += piece.length;
        }
        return result("completed", usage, chars, null);
      } catch {
        return result("completed", null, 0, "response body was not JSON");
      }
    },
    fail: (reason) => result("failed", null, 0, reason),
    aborted: () => result("aborted", null, 0, "client closed the connection"),
  };
}
