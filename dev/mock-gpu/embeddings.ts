// POST /v1/embeddings: deterministic 8-dim vectors, float or base64 (the openai SDK asks for base64).
import { randomUUID } from "node:crypto";
import type { ServerResponse } from "node:http";
import { pause, sendJson } from "./http-util";
import { checkModel, type Json } from "./parse";
import type { HostState, Tracker } from "./state";
import { charCount, embed, promptTokensFor, toBase64 } from "./tokens";
import { badRequest } from "./vllm-errors";

interface Item {
  text: string;
  tokens: number;
}

/** input: string | string[] | token ids | token id lists. */
function items(input: unknown): Item[] {
  if (typeof input === "string") return [{ text: input, tokens: promptTokensFor(charCount(input)) }];
  if (!Array.isArray(input) || input.length === 0) throw badRequest("input must be a string or a non-empty list");
  if (input.every((t) => Number.isInteger(t))) return [{ text: input.join(" "), tokens: input.length }];
  return input.map((x): Item => {
    if (typeof x === "string") return { text: x, tokens: promptTokensFor(charCount(x)) };
    if (Array.isArray(x) && x.length > 0 && x.every((t) => Number.isInteger(t)))
      return { text: x.join(" "), tokens: x.length };
    throw badRequest("each input must be a string or a list of token ids");
  });
}

export interface EmbeddingContext {
  servedModel: string;
  ttftMs: number;
  omitUsage: boolean;
  state: HostState;
  tracker: Tracker;
  headers: Record<string, string>;
}

/** Validates (throws RequestError) before any waiting, then answers after the prefill delay. */
export async function serveEmbeddings(res: ServerResponse, body: Json, ctx: EmbeddingContext): Promise<void> {
  if (body.input === undefined) throw badRequest("Field required: input");
  const list = items(body.input);
  checkModel(body, ctx.servedModel);
  const format = body.encoding_format ?? "float";
  if (format !== "float" && format !== "base64") throw badRequest("encoding_format must be 'float' or 'base64'");
  const promptTokens = list.reduce((sum, it) => sum + it.tokens, 0);
  ctx.state.addPromptTokens(promptTokens);
  await pause(ctx.ttftMs);
  if (ctx.tracker.aborted) return;
  ctx.tracker.firstToken();
  const data = list.map((it, index) => {
    const vec = embed(it.text);
    return { index, object: "embedding", embedding: format === "base64" ? toBase64(vec) : vec };
  });
  const answer = {
    id: `embd-${randomUUID().replaceAll("-", "")}`,
    object: "list",
    created: Math.floor(Date.now() / 1000),
    model: ctx.servedModel,
    data,
    ...(ctx.omitUsage ? {} : { usage: { prompt_tokens: promptTokens, total_tokens: promptTokens } }),
  };
  sendJson(res, 200, answer, ctx.headers);
}
