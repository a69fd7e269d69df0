// vLLM's utility endpoints: /tokenize, /detokenize (serving_tokenization.py), /score and /v1/score,
// /rerank, /v1/rerank and /v2/rerank (serving_score.py). Scores are word overlap, so tests can
// predict the order; token ids come from one vocabulary per process, so detokenize inverts tokenize.
import { randomUUID } from "node:crypto";
import type { ServerResponse } from "node:http";
import { sendJson } from "./http-util";
import { checkModel, isObject, type Json } from "./parse";
import { charCount, promptTokensFor, splitTokens } from "./tokens";
import { badRequest } from "./vllm-errors";

const vocabulary = new Map<string, number>();
const pieces: string[] = [];

function idOf(piece: string): number {
  let id = vocabulary.get(piece);
  if (id === undefined) {
    id = pieces.length;
    pieces.push(piece);
    vocabulary.set(piece, id);
  }
  return id;
}

function promptOf(body: Json): string {
  if (typeof body.prompt === "string") return body.prompt;
  if (Array.isArray(body.messages))
    return body.messages.map((m) => (isObject(m) && typeof m.content === "string" ? m.content : "")).join("\n");
  throw badRequest("Field required: prompt (or messages)");
}

export function serveTokenize(res: ServerResponse, body: Json, maxModelLen: number, headers: Record<string, string>) {
  const pieceList = splitTokens(promptOf(body));
  const tokens = pieceList.map(idOf);
  sendJson(
    res,
    200,
    {
      count: tokens.length,
      max_model_len: maxModelLen,
      tokens,
      token_strs: body.return_token_strs === true ? pieceList : null,
    },
    headers,
  );
}

export function serveDetokenize(res: ServerResponse, body: Json, headers: Record<string, string>) {
  const ids = body.tokens;
  if (!Array.isArray(ids) || !ids.every((t) => Number.isInteger(t)))
    throw badRequest("tokens must be a list of integers");
  const unknown = ids.find((t) => (t as number) < 0 || (t as number) >= pieces.length);
  if (unknown !== undefined) throw badRequest(`Token id ${String(unknown)} is out of vocabulary`);
  sendJson(res, 200, { prompt: ids.map((t) => pieces[t as number]).join("") }, headers);
}

const words = (text: string) => new Set(text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []);

/** |shared words| / |query words|, in [0, 1]. */
function relevance(query: string, doc: string): number {
  const q = words(query);
  if (q.size === 0) return 0;
  const d = words(doc);
  let shared = 0;
  for (const w of q) if (d.has(w)) shared++;
  return shared / q.size;
}

const texts = (v: unknown, name: string): string[] => {
  if (typeof v === "string") return [v];
  if (Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === "string")) return v as string[];
  throw badRequest(`${name} must be a string or a non-empty list of strings`);
};

const tokensOf = (list: string[]) => list.reduce((n, t) => n + promptTokensFor(charCount(t)), 0);

export function serveScore(res: ServerResponse, body: Json, servedModel: string, headers: Record<string, string>) {
  checkModel(body, servedModel);
  const left = texts(body.text_1 ?? body.queries, "text_1");
  const right = texts(body.text_2 ?? body.documents, "text_2");
  if (left.length !== 1 && left.length !== right.length)
    throw badRequest("text_1 must be one text or as many as text_2");
  const data = right.map((doc, index) => ({
    index,
    object: "score",
    score: relevance(left.length === 1 ? (left[0] ?? "") : (left[index] ?? ""), doc),
  }));
  const promptTokens = tokensOf(left) * (left.length === 1 ? right.length : 1) + tokensOf(right);
  sendJson(
    res,
    200,
    {
      id: `score-${randomUUID().replaceAll("-", "")}`,
      object: "list",
      created: Math.floor(Date.now() / 1000),
      model: servedModel,
      data,
      usage: { prompt_tokens: promptTokens, total_tokens: promptTokens, completion_tokens: 0 },
    },
    headers,
  );
}

export function serveRerank(res: ServerResponse, body: Json, servedModel: string, headers: Record<string, string>) {
  checkModel(body, servedModel);
  if (typeof body.query !== "string") throw badRequest("Field required: query");
  const documents = texts(body.documents, "documents");
  const topN = typeof body.top_n === "number" && body.top_n > 0 ? body.top_n : documents.length;
  const results = documents
    .map((text, index) => ({ index, document: { text }, relevance_score: relevance(body.query as string, text) }))
    .sort((a, b) => b.relevance_score - a.relevance_score || a.index - b.index)
    .slice(0, topN);
  const totalTokens = promptTokensFor(charCount(body.query)) * documents.length + tokensOf(documents);
  sendJson(
    res,
    200,
    {
      id: `rerank-${randomUUID().replaceAll("-", "")}`,
      model: servedModel,
      usage: { total_tokens: totalTokens },
      results,
    },
    headers,
  );
}
