// The inference body's checks and what metering reads from it. The client's JSON is untrusted in
// shape as well as content: anything walked recursively is first bounded in depth (a 20 KB body can
// nest 10,000 arrays deep and overflow the stack).
import { badRequest } from "../errors";

export interface EndpointSpec {
  /** The field the body must carry. */
  input: "messages" | "prompt" | "input";
  streams: boolean;
}

/** Deeper than any real content (parts, token-id lists) ever nests. */
const MAX_DEPTH = 16;

/** True when `value` nests arrays/objects deeper than `limit`; iterative, so it cannot overflow. */
function nestedDeeperThan(value: unknown, limit: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  for (let next = stack.pop(); next; next = stack.pop()) {
    const [v, depth] = next;
    if (typeof v !== "object" || v === null) continue;
    if (depth >= limit) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push([child, depth + 1]);
  }
  return false;
}

export function checkDepth(value: unknown, param: string): void {
  if (nestedDeeperThan(value, MAX_DEPTH)) throw badRequest(`\`${param}\` is nested too deeply.`, param);
}

export function validateInput(body: Record<string, unknown>, spec: EndpointSpec): void {
  const value = body[spec.input];
  const ok =
    spec.input === "messages"
      ? Array.isArray(value) &&
        value.length > 0 &&
        value.every((m) => typeof m === "object" && m !== null && "role" in m)
      : typeof value === "string" || (Array.isArray(value) && value.length > 0);
  if (!ok)
    throw badRequest(
      `\`${spec.input}\` is required and must be ${spec.input === "messages" ? "a non-empty array of messages" : "a string or a non-empty array"}.`,
      spec.input,
    );
  if (spec.input === "messages")
    (value as Record<string, unknown>[]).forEach((m, i) => {
      checkDepth(m.content, `messages[${i}].content`);
    });
  else checkDepth(value, spec.input);
  if (body.stream !== undefined && typeof body.stream !== "boolean")
    throw badRequest("`stream` must be a boolean.", "stream");
  if (body.stream === true && !spec.streams) throw badRequest("This endpoint does not stream.", "stream");
  const options = body.stream_options;
  if (options !== undefined && options !== null && (typeof options !== "object" || Array.isArray(options))) {
    throw badRequest("`stream_options` must be an object.", "stream_options");
  }
}

/**
 * Characters of prompt text, for estimating usage when a host reports none: a string, a list of
 * strings, messages whose content is a string or a list of parts (`{type: "text", text}`).
 * The input has passed validateInput, so its depth is bounded.
 */
export function promptChars(body: Record<string, unknown>, spec: EndpointSpec): number {
  const count = (value: unknown): number => {
    if (typeof value === "string") return value.length;
    if (Array.isArray(value)) return value.reduce((n: number, item: unknown) => n + count(item), 0);
    if (typeof value !== "object" || value === null) return 0;
    const { content, text } = value as { content?: unknown; text?: unknown };
    return count(content ?? text);
  };
  return count(body[spec.input]);
}

/** The output the client allows (`max_tokens`, `max_completion_tokens` or the Responses API's `max_output_tokens`). */
export function maxOutputTokens(body: Record<string, unknown>): number | undefined {
  for (const field of ["max_tokens", "max_completion_tokens", "max_output_tokens"]) {
    const value = body[field];
    if (typeof value === "number" && Number.isInteger(value) && value > 0) return value;
  }
  return undefined;
}
