// POST /v1/responses (JSON, or SSE of typed `response.*` events ending with `response.completed`,
// which carries the usage), GET / DELETE /v1/responses/{id}, POST /v1/responses/{id}/cancel.
// Shapes follow vLLM's serving_responses.py: the id is the request's `request_id` (default
// `resp_<uuid>`), usage is `input_tokens`/`output_tokens`, and an unknown id is a 404.
import { randomUUID } from "node:crypto";
import type { ServerResponse } from "node:http";
import { drained, pause, sendJson } from "./http-util";
import { checkModel, isObject, type Json } from "./parse";
import type { HostState, Tracker } from "./state";
import { charCount, promptTokensFor, splitTokens } from "./tokens";
import type { Faults } from "./types";
import { badRequest, RequestError, vllmError } from "./vllm-errors";

export interface ResponsesContext {
  state: HostState;
  tracker: Tracker;
  servedModel: string;
  timing: { ttftMs: number; tokenDelayMs: number };
  faults: Faults;
  headers: Record<string, string>;
}

/** vLLM's `_make_not_found_error`. */
export function responseNotFound(id: string): RequestError {
  const body = vllmError(404, `Response with id '${id}' not found.`);
  body.error.type = "invalid_request_error";
  return new RequestError(404, body);
}

function inputText(input: unknown): { chars: number; lastUser: string } {
  if (typeof input === "string") return { chars: charCount(input), lastUser: input };
  if (!Array.isArray(input) || input.length === 0) throw badRequest("input must be a string or a non-empty list");
  let chars = 0;
  let lastUser = "";
  for (const item of input) {
    if (!isObject(item)) throw badRequest("each input item must be an object");
    const c = item.content;
    const text =
      typeof c === "string"
        ? c
        : Array.isArray(c)
          ? c.map((p) => (isObject(p) && typeof p.text === "string" ? p.text : "")).join("")
          : "";
    chars += charCount(text);
    if ((item.role ?? "user") === "user") lastUser = text;
  }
  return { chars, lastUser };
}

interface Plan {
  id: string;
  body: Json;
  promptTokens: number;
  transcriptChars: number;
  tokens: string[];
  incomplete: boolean;
}

function plan(body: Json, ctx: ResponsesContext): Plan {
  if (body.input === undefined) throw badRequest("Field required: input");
  checkModel(body, ctx.servedModel);
  const { chars, lastUser } = inputText(body.input);
  const instructions = typeof body.instructions === "string" ? charCount(body.instructions) : 0;
  const prevId = body.previous_response_id;
  let prior = 0;
  if (prevId !== undefined && prevId !== null) {
    const prev = typeof prevId === "string" ? ctx.state.responses.get(prevId) : undefined;
    if (!prev) throw responseNotFound(String(prevId));
    prior = prev.transcriptChars;
  }
  if (body.background === true && body.store === false)
    throw badRequest("background can only be used when `store` is true");
  const max = body.max_output_tokens;
  if (max !== undefined && max !== null && (!Number.isInteger(max) || (max as number) < 1))
    throw badRequest("max_output_tokens must be a positive integer");
  const all = splitTokens(lastUser);
  const budget = typeof max === "number" ? max : Infinity;
  const tokens = all.length > budget ? all.slice(0, budget) : all;
  const id = typeof body.request_id === "string" && body.request_id ? body.request_id : `resp_${hex()}`;
  const promptChars = prior + instructions + chars;
  return {
    id,
    body,
    promptTokens: promptTokensFor(promptChars),
    transcriptChars: promptChars + charCount(tokens.join("")),
    tokens,
    incomplete: tokens.length < all.length,
  };
}

const hex = () => randomUUID().replaceAll("-", "");

/** The Response object in one state; `text` is the output so far. */
function responseObject(p: Plan, status: string, text: string | null, outputTokens: number, model: string): Json {
  const b = p.body;
  const done = status === "completed" || status === "incomplete";
  const message = {
    id: `msg_${p.id.slice(5)}`,
    type: "message",
    role: "assistant",
    status: done ? "completed" : "in_progress",
    content: text === null ? [] : [{ type: "output_text", text, annotations: [], logprobs: null }],
  };
  return {
    id: p.id,
    object: "response",
    created_at: Math.floor(Date.now() / 1000),
    status,
    background: b.background === true,
    error: null,
    incomplete_details: p.incomplete && done ? { reason: "max_output_tokens" } : null,
    instructions: b.instructions ?? null,
    max_output_tokens: b.max_output_tokens ?? null,
    max_tool_calls: null,
    metadata: b.metadata ?? null,
    model,
    output: text === null ? [] : [message],
    parallel_tool_calls: b.parallel_tool_calls ?? true,
    previous_response_id: b.previous_response_id ?? null,
    reasoning: null,
    service_tier: "auto",
    store: b.store !== false,
    temperature: b.temperature ?? 1,
    text: { format: { type: "text" } },
    tool_choice: b.tool_choice ?? "auto",
    tools: [],
    top_logprobs: 0,
    top_p: b.top_p ?? 1,
    truncation: "disabled",
    usage: done
      ? {
          input_tokens: p.promptTokens,
          input_tokens_details: { cached_tokens: 0 },
          output_tokens: outputTokens,
          output_tokens_details: { reasoning_tokens: 0 },
          total_tokens: p.promptTokens + outputTokens,
        }
      : null,
    user: b.user ?? null,
  };
}

function keep(ctx: ResponsesContext, p: Plan, response: Json): void {
  if (p.body.store !== false) ctx.state.responses.put(p.id, { body: response, transcriptChars: p.transcriptChars });
}

export async function serveResponses(res: ServerResponse, body: Json, ctx: ResponsesContext): Promise<void> {
  const p = plan(body, ctx);
  const { state, tracker, timing } = ctx;
  state.addPromptTokens(p.promptTokens);
  const finalStatus = p.incomplete ? "incomplete" : "completed";
  if (body.background === true) {
    // Answered at once as queued; generated behind the answer, unless cancelled first.
    const queued = responseObject(p, "queued", null, 0, ctx.servedModel);
    keep(ctx, p, queued);
    tracker.firstToken();
    sendJson(res, 200, queued, ctx.headers);
    await pause(timing.ttftMs + timing.tokenDelayMs * p.tokens.length);
    if (state.responses.get(p.id)?.body.status !== "queued") return;
    state.addGenerated(p.tokens.length);
    keep(ctx, p, responseObject(p, finalStatus, p.tokens.join(""), p.tokens.length, ctx.servedModel));
    return;
  }
  if (body.stream !== true) {
    await pause(timing.ttftMs + timing.tokenDelayMs * Math.max(0, p.tokens.length - 1));
    if (tracker.aborted) return;
    tracker.firstToken();
    state.addGenerated(p.tokens.length);
    const done = responseObject(p, finalStatus, p.tokens.join(""), p.tokens.length, ctx.servedModel);
    keep(ctx, p, done);
    return sendJson(res, 200, ctx.faults.omitUsage ? { ...done, usage: null } : done, ctx.headers);
  }
  await streamResponse(res, p, ctx, finalStatus);
}

async function streamResponse(res: ServerResponse, p: Plan, ctx: ResponsesContext, finalStatus: string) {
  const { state, tracker, timing, faults } = ctx;
  let seq = 0;
  const send = async (type: string, fields: Json): Promise<void> => {
    const data = JSON.stringify({ type, sequence_number: seq++, ...fields });
    if (!res.write(`event: ${type}\ndata: ${data}\n\n`)) await drained(res);
  };
  res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", ...ctx.headers });
  res.flushHeaders();
  const item = { item_id: `msg_${p.id.slice(5)}`, output_index: 0 };
  const inProgress = responseObject(p, "in_progress", null, 0, ctx.servedModel);
  await send("response.created", { response: inProgress });
  await send("response.in_progress", { response: inProgress });
  await pause(timing.ttftMs);
  if (tracker.aborted) return;
  tracker.firstToken();
  const message = { id: item.item_id, type: "message", role: "assistant", status: "in_progress", content: [] };
  await send("response.output_item.added", { output_index: 0, item: message });
  const emptyPart = { type: "output_text", text: "", annotations: [] };
  await send("response.content_part.added", { ...item, content_index: 0, part: emptyPart });
  let text = "";
  for (const [i, token] of p.tokens.entries()) {
    if (i > 0) await pause(timing.tokenDelayMs);
    if (tracker.aborted) return;
    state.addGenerated(1);
    text += token;
    await send("response.output_text.delta", { ...item, content_index: 0, delta: token, logprobs: [] });
    if (faults.cutAfterTokens === i + 1) {
      await new Promise<void>((resolve) => res.write("", () => resolve()));
      return tracker.cut();
    }
  }
  const done = responseObject(p, finalStatus, text, p.tokens.length, ctx.servedModel);
  const part = { type: "output_text", text, annotations: [], logprobs: null };
  await send("response.output_text.done", { ...item, content_index: 0, text, logprobs: [] });
  await send("response.content_part.done", { ...item, content_index: 0, part });
  await send("response.output_item.done", { output_index: 0, item: (done.output as unknown[])[0] });
  keep(ctx, p, done);
  const completed = faults.omitUsage ? { ...done, usage: null } : done;
  await send(finalStatus === "completed" ? "response.completed" : "response.incomplete", { response: completed });
  res.end();
}

/** GET / DELETE /v1/responses/{id}, POST /v1/responses/{id}/cancel. */
export function serveStoredResponse(
  res: ServerResponse,
  state: HostState,
  id: string,
  action: "retrieve" | "delete" | "cancel",
  headers: Record<string, string>,
): void {
  const stored = state.responses.get(id);
  if (!stored) throw responseNotFound(id);
  if (action === "retrieve") {
    sendJson(res, 200, stored.body, headers);
    return;
  }
  if (action === "delete") {
    state.responses.delete(id);
    sendJson(res, 200, { id, object: "response", deleted: true }, headers);
    return;
  }
  // vLLM cancels only background responses still queued or running.
  if (stored.body.status !== "queued" && stored.body.status !== "in_progress") {
    const body = vllmError(400, "Cannot cancel a synchronous response.");
    body.error.type = "invalid_request_error";
    throw new RequestError(400, body);
  }
  const cancelled = { ...stored.body, status: "cancelled" };
  state.responses.put(id, { ...stored, body: cancelled });
  sendJson(res, 200, cancelled, headers);
}
