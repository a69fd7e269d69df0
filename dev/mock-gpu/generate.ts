// Token generation for chat/completions: JSON answers and vLLM-shaped SSE streams, with timing,
// cancellation (stop at once when the client leaves) and the mid-generation faults.
import { randomUUID } from "node:crypto";
import type { ServerResponse } from "node:http";
import { closed, drained, pause, sendJson } from "./http-util";
import type { GenerationRequest } from "./parse";
import type { HostState, Tracker } from "./state";
import type { Faults } from "./types";
import { vllmError } from "./vllm-errors";

export interface Timing {
  ttftMs: number;
  tokenDelayMs: number;
}

export interface GenerationContext {
  state: HostState;
  tracker: Tracker;
  timing: Timing;
  faults: Faults;
  headers: Record<string, string>;
}

interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

function usageOf(g: GenerationRequest, completion: number, faults: Faults): Usage {
  const wrong = faults.reportedUsage;
  if (wrong) return { ...wrong, total_tokens: wrong.prompt_tokens + wrong.completion_tokens };
  return { prompt_tokens: g.promptTokens, completion_tokens: completion, total_tokens: g.promptTokens + completion };
}

function newId(g: GenerationRequest): string {
  return (g.kind === "chat" ? "chatcmpl-" : "cmpl-") + randomUUID().replaceAll("-", "");
}

export async function serveGeneration(
  res: ServerResponse,
  g: GenerationRequest,
  ctx: GenerationContext,
): Promise<void> {
  ctx.state.addPromptTokens(g.promptTokens);
  if (g.stream) await serveStream(res, g, ctx);
  else await serveJson(res, g, ctx);
}

async function serveJson(res: ServerResponse, g: GenerationRequest, ctx: GenerationContext): Promise<void> {
  const { tracker, timing, state, faults } = ctx;
  await pause(timing.ttftMs);
  tracker.firstToken();
  if (faults.cutAfterTokens === 0) return tracker.cut();
  for (let i = 0; i < g.tokens.length; i++) {
    // No response byte exists yet, so at 0 ms there is nothing to interleave: skip the yield.
    if (i > 0 && timing.tokenDelayMs > 0) await pause(timing.tokenDelayMs);
    if (tracker.aborted) return;
    state.addGenerated(1);
    if (faults.cutAfterTokens === i + 1) return tracker.cut();
  }
  if (tracker.aborted) return;
  const text = g.tokens.join("");
  const choice =
    g.kind === "chat"
      ? { index: 0, message: { role: "assistant", content: text }, logprobs: null, finish_reason: g.finishReason }
      : { index: 0, text, logprobs: null, finish_reason: g.finishReason };
  const body = {
    id: newId(g),
    object: g.kind === "chat" ? "chat.completion" : "text_completion",
    created: Math.floor(Date.now() / 1000),
    model: g.model,
    choices: [choice],
    ...(faults.omitUsage ? {} : { usage: usageOf(g, g.tokens.length, faults) }),
  };
  if (faults.cutJsonBody) {
    const text = JSON.stringify(body);
    res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
    res.write(text.slice(0, text.length >> 1), () => tracker.cut());
    return;
  }
  sendJson(res, 200, body, ctx.headers);
}

async function serveStream(res: ServerResponse, g: GenerationRequest, ctx: GenerationContext): Promise<void> {
  const { tracker, timing, state, faults } = ctx;
  const withUsage = g.includeUsage && !faults.omitUsage;
  const base = {
    id: newId(g),
    object: g.kind === "chat" ? "chat.completion.chunk" : "text_completion",
    created: Math.floor(Date.now() / 1000),
    model: g.model,
  };
  // OpenAI/vLLM put `"usage": null` on every chunk only when include_usage was asked.
  const chunk = (text: string, finish: string | null, role = false): string => {
    const choice =
      g.kind === "chat"
        ? {
            index: 0,
            delta: role ? { role: "assistant", content: text } : { content: text },
            logprobs: null,
            finish_reason: finish,
          }
        : { index: 0, text, logprobs: null, finish_reason: finish };
    return event({ ...base, choices: [choice], ...(withUsage ? { usage: null } : {}) });
  };
  const write = async (data: string): Promise<void> => {
    if (!res.write(data)) await drained(res);
  };
  // Node corks a response's writes until the next tick: wait for the bytes to leave before a cut.
  const cut = async (): Promise<void> => {
    await new Promise<void>((resolve) => res.write("", () => resolve()));
    tracker.cut();
  };

  // Headers leave at once, before the first token, as with vLLM's StreamingResponse.
  res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", ...ctx.headers });
  res.flushHeaders();
  await pause(timing.ttftMs);
  if (tracker.aborted) return;
  tracker.firstToken();
  if (g.kind === "chat") await write(chunk("", null, true));
  if (faults.cutAfterTokens === 0) return cut();
  if (faults.streamErrorAfterTokens === 0) return endWithError(res, tracker);
  if (faults.stallAfterTokens === 0) return closed(res);

  const n = g.tokens.length;
  if (n === 0) await write(chunk("", g.finishReason));
  for (let i = 0; i < n; i++) {
    // Yield even at 0 ms so every token is its own write and an abort is seen between tokens.
    if (i > 0) await pause(timing.tokenDelayMs);
    if (tracker.aborted) return;
    state.addGenerated(1);
    await write(chunk(g.tokens[i] ?? "", i === n - 1 ? g.finishReason : null));
    if (faults.cutAfterTokens === i + 1) return cut();
    if (faults.streamErrorAfterTokens === i + 1) return endWithError(res, tracker);
    if (faults.stallAfterTokens === i + 1) return closed(res);
  }
  if (tracker.aborted) return;
  if (withUsage) await write(event({ ...base, choices: [], usage: usageOf(g, n, faults) }));
  res.end("data: [DONE]\n\n");
}

/** vLLM's in-stream error: the HTTP status is already 200, so the error travels as an event. */
function endWithError(res: ServerResponse, tracker: Tracker): void {
  tracker.error();
  const body = vllmError(500, "mock-gpu: injected in-stream engine error");
  res.end(event(body));
}

function event(payload: unknown): string {
  return `data: ${JSON.stringify(payload)}\n\n`;
}
