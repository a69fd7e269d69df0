// Response validation: a load test that only times responses would count a fast, wrong answer as
// a success. Each validator returns null when the body is right, else a short groupable reason.
import { isRecord } from "./http";

type Check = string | null;

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

const isCount = (v: unknown): v is number => typeof v === "number" && Number.isInteger(v) && v >= 0;

function checkUsage(usage: unknown): Check {
  if (!isRecord(usage)) return "shape: usage missing";
  const { prompt_tokens: p, completion_tokens: c, total_tokens: t } = usage;
  if (!isCount(p) || !isCount(c) || !isCount(t)) return "shape: usage counts not integers";
  if (t !== p + c) return "shape: usage total != prompt + completion";
  if (c === 0) return "shape: usage has 0 completion tokens";
  return null;
}

export interface ChatCheck {
  error: Check;
  /** The assistant's text, for the next turn of a conversation. */
  content: string;
}

export function validateChat(text: string): ChatCheck {
  const body = parse(text);
  const fail = (error: string): ChatCheck => ({ error, content: "" });
  if (!isRecord(body)) return fail("shape: not a JSON object");
  if (body.object !== "chat.completion") return fail("shape: object != chat.completion");
  const choice: unknown = Array.isArray(body.choices) ? body.choices[0] : undefined;
  if (!isRecord(choice) || !isRecord(choice.message)) return fail("shape: no choices[0].message");
  const { role, content } = choice.message;
  if (role !== "assistant" || typeof content !== "string") return fail("shape: message not an assistant text");
  if (content.length === 0) return fail("shape: empty answer");
  return { error: checkUsage(body.usage), content };
}

/** An SSE chat stream, as `data` strings: JSON chunks, a usage chunk (we ask for it), `[DONE]` last. */
export function validateChatStream(events: readonly string[]): ChatCheck {
  const fail = (error: string): ChatCheck => ({ error, content: "" });
  if (events.length === 0) return fail("stream: no events");
  const doneAt = events.indexOf("[DONE]");
  if (doneAt === -1) return fail("stream: no [DONE]");
  if (doneAt !== events.length - 1) return fail("stream: events after [DONE]");
  let content = "";
  let usage: unknown;
  for (let i = 0; i < doneAt; i++) {
    const chunk = parse(events[i] ?? "");
    if (!isRecord(chunk)) return fail("stream: chunk is not JSON");
    if (isRecord(chunk.error)) {
      const code = chunk.error.code ?? chunk.error.type;
      return fail(`stream: error event (${typeof code === "string" ? code : "no code"})`);
    }
    if (chunk.object !== "chat.completion.chunk") return fail("stream: object != chat.completion.chunk");
    if (!Array.isArray(chunk.choices)) return fail("stream: chunk without choices");
    for (const choice of chunk.choices) {
      if (isRecord(choice) && isRecord(choice.delta) && typeof choice.delta.content === "string")
        content += choice.delta.content;
    }
    if (isRecord(chunk.usage)) usage = chunk.usage;
  }
  if (content.length === 0) return fail("stream: empty answer");
  const usageError = checkUsage(usage);
  return { error: usageError === null ? null : `stream: ${usageError.replace(/^shape: /, "")}`, content };
}

export function validateModels(text: string, model: string): Check {
  const body = parse(text);
  if (!isRecord(body) || body.object !== "list" || !Array.isArray(body.data)) return "shape: not a list";
  for (const m of body.data) {
    if (!isRecord(m) || typeof m.id !== "string" || m.object !== "model") return "shape: bad model entry";
  }
  if (!body.data.some((m) => isRecord(m) && m.id === model)) return `shape: ${model} not listed`;
  return null;
}

const isTime = (v: unknown): boolean =>
  (typeof v === "number" && v > 0) || (typeof v === "string" && !Number.isNaN(Date.parse(v)));

/** GET /v1/sessions: { object: "list", data: [{ id, model, instance_id, requests, total_tokens, created_at, last_used_at }], has_more }. */
export function validateSessions(text: string): Check {
  const body = parse(text);
  if (!isRecord(body) || body.object !== "list" || !Array.isArray(body.data)) return "shape: not a list";
  if (typeof body.has_more !== "boolean") return "shape: has_more not a boolean";
  for (const s of body.data) {
    if (!isRecord(s) || typeof s.id !== "string" || typeof s.model !== "string")
      return "shape: session without id/model";
    if (s.instance_id !== null && typeof s.instance_id !== "string") return "shape: instance_id not a string or null";
    if (!isCount(s.requests) || !isCount(s.total_tokens)) return "shape: requests/total_tokens not counts";
    if (!isTime(s.created_at) || !isTime(s.last_used_at)) return "shape: created_at/last_used_at not times";
  }
  return null;
}

export function validateHealth(text: string): Check {
  const body = parse(text);
  if (!isRecord(body)) return "shape: not a JSON object";
  if (body.status === "degraded") return "health: degraded (database unreachable)";
  return body.status === "ok" ? null : "shape: status != ok";
}

/** A Responses API usage: `input_tokens` and `output_tokens` counts, some output. */
function checkResponseUsage(usage: unknown): Check {
  if (!isRecord(usage)) return "shape: usage missing";
  if (!isCount(usage.input_tokens) || !isCount(usage.output_tokens)) return "shape: usage counts not integers";
  return usage.output_tokens === 0 ? "shape: usage has 0 output tokens" : null;
}

export interface ResponseCheck extends ChatCheck {
  /** The response's id, for a follow-up with previous_response_id. */
  id: string;
}

/** The text of a Response object's output messages. */
function outputText(body: Record<string, unknown>): string {
  let text = "";
  for (const item of Array.isArray(body.output) ? body.output : []) {
    if (!isRecord(item) || !Array.isArray(item.content)) continue;
    for (const part of item.content) if (isRecord(part) && typeof part.text === "string") text += part.text;
  }
  return text;
}

/** POST /v1/responses: a completed `response` with output text and usage. */
export function validateResponse(text: string): ResponseCheck {
  const body = parse(text);
  const fail = (error: string): ResponseCheck => ({ error, content: "", id: "" });
  if (!isRecord(body) || body.object !== "response") return fail("shape: object != response");
  if (typeof body.id !== "string" || !body.id.startsWith("resp_")) return fail("shape: no resp_ id");
  if (body.status !== "completed") return fail(`shape: status ${String(body.status)}`);
  const content = outputText(body);
  if (content.length === 0) return fail("shape: empty output");
  return { error: checkResponseUsage(body.usage), content, id: body.id };
}

/** A Responses stream: typed `response.*` events, text deltas, `response.completed` last with usage (no [DONE]). */
export function validateResponseStream(events: readonly string[]): ResponseCheck {
  const fail = (error: string): ResponseCheck => ({ error, content: "", id: "" });
  if (events.length === 0) return fail("stream: no events");
  let content = "";
  let completed: Record<string, unknown> | null = null;
  for (const data of events) {
    const ev = parse(data);
    if (!isRecord(ev) || typeof ev.type !== "string") return fail("stream: event without a type");
    if (isRecord(ev.error)) return fail(`stream: error event (${String(ev.error.code ?? ev.error.type)})`);
    if (ev.type === "response.output_text.delta" && typeof ev.delta === "string") content += ev.delta;
    if (ev.type === "response.completed" && isRecord(ev.response)) completed = ev.response;
  }
  if (!completed) return fail("stream: no response.completed");
  if (!events.at(-1)?.includes('"response.completed"')) return fail("stream: events after response.completed");
  if (content.length === 0) return fail("stream: empty answer");
  const usage = checkResponseUsage(completed.usage);
  const id = typeof completed.id === "string" ? completed.id : "";
  return { error: usage === null ? null : `stream: ${usage.replace(/^shape: /, "")}`, content, id };
}

/** POST /v1/audio/speech: a whole WAV file (RIFF/WAVE, a `data` chunk as long as it says). */
export function validateSpeech(bytes: Buffer, contentType: string): Check {
  if (!contentType.startsWith("audio/")) return `shape: content-type ${contentType || "missing"}`;
  if (bytes.length < 44 || bytes.toString("ascii", 0, 4) !== "RIFF" || bytes.toString("ascii", 8, 12) !== "WAVE")
    return "shape: not a WAV file";
  if (bytes.readUInt32LE(4) !== bytes.length - 8) return "shape: WAV cut short (RIFF size)";
  return null;
}

/** POST /v1/audio/transcriptions: `{text}`, the words the file carries. */
export function validateTranscript(text: string, expected: string): Check {
  const body = parse(text);
  if (!isRecord(body) || typeof body.text !== "string") return "shape: no text";
  return body.text === expected ? null : "shape: transcript differs from the audio's words";
}
