// The rest of vLLM's OpenAI surface beyond chat, completions and embeddings: the Responses API,
// audio, tokenization, score and rerank. Each goes through the same faults as inference.
import type { IncomingMessage, ServerResponse } from "node:http";
import { type AudioContext, readForm, serveSpeech, serveTranscription } from "./audio";
import type { HostConfig } from "./handler";
import { readBody, sendJson } from "./http-util";
import { type Json, parseBody } from "./parse";
import { admit, answeredByFault } from "./preflight";
import { serveResponses, serveStoredResponse } from "./responses";
import type { HostState } from "./state";
import { serveDetokenize, serveRerank, serveScore, serveTokenize } from "./utility";
import { RequestError, vllmError } from "./vllm-errors";

const JSON_POSTS = new Set([
  "/v1/responses",
  "/v1/audio/speech",
  "/tokenize",
  "/detokenize",
  "/score",
  "/v1/score",
  "/rerank",
  "/v1/rerank",
  "/v2/rerank",
]);
const AUDIO_FORMS: Record<string, "transcription" | "translation"> = {
  "/v1/audio/transcriptions": "transcription",
  "/v1/audio/translations": "translation",
};
const STORED = /^\/v1\/responses\/([^/]+)(\/cancel)?$/;

export function isSurfacePath(method: string, path: string): boolean {
  if (method === "POST" && (JSON_POSTS.has(path) || path in AUDIO_FORMS)) return true;
  const stored = STORED.exec(path);
  if (!stored) return false;
  return stored[2] ? method === "POST" : method === "GET" || method === "DELETE";
}

export async function serveSurface(
  state: HostState,
  cfg: HostConfig,
  req: IncomingMessage,
  res: ServerResponse,
  method: string,
  path: string,
): Promise<void> {
  const raw = method === "POST" ? await readBody(req) : { text: "", bytes: Buffer.alloc(0) };
  if ("error" in raw) {
    if (raw.error === "too-large") sendJson(res, 413, vllmError(413, "Request body too large"));
    return;
  }
  const task = AUDIO_FORMS[path];
  let body: Json | undefined;
  let form: FormData | undefined;
  let invalid: RequestError | undefined;
  try {
    if (task) form = await readForm(req, raw.bytes);
    else if (method === "POST" && !STORED.test(path)) body = parseBody(raw.text);
  } catch (err) {
    if (!(err instanceof RequestError)) throw err;
    invalid = err;
  }
  const model = form?.get("model") ?? body?.model;
  const admitted = admit(state, req, res, typeof model === "string" ? model : "");
  if (await answeredByFault(state, res, admitted)) return;
  const { tracker, headers } = admitted;
  const common = { state, tracker, servedModel: cfg.servedModel, timing: cfg.timing, headers };
  const audio: AudioContext = { ...common, omitUsage: state.faults.omitUsage === true, faults: state.faults };
  try {
    if (invalid) throw invalid;
    const stored = STORED.exec(path);
    if (stored) {
      const action = stored[2] ? "cancel" : method === "DELETE" ? "delete" : "retrieve";
      return serveStoredResponse(res, state, decodeURIComponent(stored[1] ?? ""), action, headers);
    }
    if (task && form) return await serveTranscription(res, form, task, audio);
    const json = body ?? {};
    if (path === "/v1/responses") return await serveResponses(res, json, { ...common, faults: state.faults });
    if (path === "/v1/audio/speech") return await serveSpeech(res, json, audio);
    tracker.firstToken();
    if (path === "/tokenize") return serveTokenize(res, json, cfg.maxModelLen, headers);
    if (path === "/detokenize") return serveDetokenize(res, json, headers);
    if (path.endsWith("/score")) return serveScore(res, json, cfg.servedModel, headers);
    return serveRerank(res, json, cfg.servedModel, headers);
  } catch (err) {
    if (!(err instanceof RequestError)) throw err;
    tracker.error();
    sendJson(res, err.status, err.body, headers);
  }
}
