// POST /v1/audio/transcriptions and /translations (multipart/form-data; `stream=true` answers SSE
// of `transcription.chunk` / `translation.chunk` events ending in [DONE], with a usage chunk when
// `stream_include_usage=true`), as vLLM's serving_transcription.py; POST /v1/audio/speech (JSON in,
// a WAV streamed out), as vLLM-Omni and other OpenAI-compatible TTS servers answer it.
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { drained, pause, sendJson, sendText } from "./http-util";
import { checkModel, type Json } from "./parse";
import type { HostState, Tracker } from "./state";
import { charCount, promptTokensFor, splitTokens } from "./tokens";
import type { Faults } from "./types";
import { badRequest } from "./vllm-errors";
import { wavFile, wavSeconds, wavText } from "./wav";

export interface AudioContext {
  state: HostState;
  tracker: Tracker;
  servedModel: string;
  timing: { ttftMs: number; tokenDelayMs: number };
  omitUsage: boolean;
  /** `cutAfterTokens` cuts the connection: after N transcript tokens (JSON: before any byte) or N speech writes. */
  faults: Faults;
  headers: Record<string, string>;
}

/** Node corks a response's writes until the next tick: let the bytes leave before cutting. */
async function cutAfterWrites(res: ServerResponse, tracker: Tracker): Promise<void> {
  await new Promise<void>((resolve) => res.write("", () => resolve()));
  tracker.cut();
}

/** Bytes a second of audio is taken to be when the file is not a WAV (16 kHz mono 16-bit). */
const FALLBACK_BYTE_RATE = 32_000;
/** Whisper's encoder sees 50 frames a second. */
const AUDIO_TOKENS_PER_SECOND = 50;

export async function readForm(req: IncomingMessage, bytes: Buffer): Promise<FormData> {
  const type = String(req.headers["content-type"] ?? "");
  if (!type.toLowerCase().startsWith("multipart/form-data"))
    throw badRequest("Expected a multipart/form-data body with a `file` field");
  try {
    return await new Request("http://mock/", {
      method: "POST",
      headers: { "content-type": type },
      body: bytes,
    }).formData();
  } catch {
    throw badRequest("The multipart/form-data body could not be parsed");
  }
}

const flag = (form: FormData, name: string) => String(form.get(name) ?? "").toLowerCase() === "true";

export async function serveTranscription(
  res: ServerResponse,
  form: FormData,
  task: "transcription" | "translation",
  ctx: AudioContext,
): Promise<void> {
  const file = form.get("file");
  if (!(file instanceof Blob)) throw badRequest("Field required: file");
  const model = form.get("model");
  checkModel({ model: typeof model === "string" ? model : undefined }, ctx.servedModel);
  const format = String(form.get("response_format") ?? "json");
  if (!["json", "text", "verbose_json"].includes(format))
    throw badRequest(`mock-gpu: response_format '${format}' is not simulated`);
  const audio = new Uint8Array(await file.arrayBuffer());
  const seconds = wavSeconds(audio) ?? audio.length / FALLBACK_BYTE_RATE;
  const text = wavText(audio) ?? `(${seconds.toFixed(2)} seconds of audio)`;
  const promptTokens = Math.max(1, Math.ceil(seconds * AUDIO_TOKENS_PER_SECOND));
  const tokens = splitTokens(text);
  ctx.state.addPromptTokens(promptTokens);
  await pause(ctx.timing.ttftMs);
  if (ctx.tracker.aborted) return;
  ctx.tracker.firstToken();
  if (flag(form, "stream"))
    return streamTranscript(res, task, tokens, promptTokens, flag(form, "stream_include_usage"), ctx);
  const cutAt = ctx.faults.cutAfterTokens;
  if (cutAt !== undefined && cutAt < tokens.length) {
    await pause(ctx.timing.tokenDelayMs * cutAt);
    ctx.state.addGenerated(cutAt);
    return ctx.tracker.cut();
  }
  await pause(ctx.timing.tokenDelayMs * Math.max(0, tokens.length - 1));
  if (ctx.tracker.aborted) return;
  ctx.state.addGenerated(tokens.length);
  if (format === "text") return sendText(res, 200, "text/plain; charset=utf-8", text);
  const usage = ctx.omitUsage ? {} : { usage: { type: "duration", seconds: Math.ceil(seconds) } };
  const verbose = format === "verbose_json" ? { language: "en", duration: seconds, segments: [] } : {};
  sendJson(res, 200, { text, ...verbose, ...usage }, ctx.headers);
}

async function streamTranscript(
  res: ServerResponse,
  task: "transcription" | "translation",
  tokens: string[],
  promptTokens: number,
  includeUsage: boolean,
  ctx: AudioContext,
): Promise<void> {
  const base = {
    id: `${task === "transcription" ? "trsc" : "trsl"}-${randomUUID().replaceAll("-", "")}`,
    object: `${task}.chunk`,
    created: Math.floor(Date.now() / 1000),
    model: ctx.servedModel,
  };
  const write = async (payload: unknown) => {
    if (!res.write(`data: ${JSON.stringify(payload)}\n\n`)) await drained(res);
  };
  res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", ...ctx.headers });
  for (const [i, token] of tokens.entries()) {
    if (i > 0) await pause(ctx.timing.tokenDelayMs);
    if (ctx.tracker.aborted) return;
    ctx.state.addGenerated(1);
    const last = i === tokens.length - 1;
    await write({
      ...base,
      choices: [{ delta: { content: token }, finish_reason: last ? "stop" : null, stop_reason: null }],
    });
    if (ctx.faults.cutAfterTokens === i + 1) return cutAfterWrites(res, ctx.tracker);
  }
  if (includeUsage && !ctx.omitUsage) {
    const usage = {
      prompt_tokens: promptTokens,
      completion_tokens: tokens.length,
      total_tokens: promptTokens + tokens.length,
    };
    await write({ ...base, choices: [], usage });
  }
  res.end("data: [DONE]\n\n");
}

const SECONDS_PER_CHAR = 0.06;
const SPEECH_CHUNK_BYTES = 8192;

export async function serveSpeech(res: ServerResponse, body: Json, ctx: AudioContext): Promise<void> {
  if (typeof body.input !== "string" || body.input === "") throw badRequest("Field required: input");
  checkModel(body, ctx.servedModel);
  const format = body.response_format ?? "wav";
  if (format !== "wav" && format !== "pcm")
    throw badRequest(`mock-gpu: response_format '${String(format)}' is not simulated (wav, pcm)`);
  const chars = charCount(body.input);
  const seconds = Math.min(30, Math.max(0.2, chars * SECONDS_PER_CHAR));
  const wav = wavFile(seconds, body.input);
  const audio = format === "wav" ? wav : wav.subarray(wav.length - Math.round(seconds * 24_000) * 2);
  ctx.state.addPromptTokens(promptTokensFor(chars));
  res.writeHead(200, { "content-type": format === "wav" ? "audio/wav" : "audio/pcm", ...ctx.headers });
  await pause(ctx.timing.ttftMs);
  if (ctx.tracker.aborted) return;
  ctx.tracker.firstToken();
  for (let at = 0, writes = 0; at < audio.length; at += SPEECH_CHUNK_BYTES) {
    if (at > 0) await pause(ctx.timing.tokenDelayMs);
    if (ctx.tracker.aborted) return;
    if (!res.write(audio.subarray(at, at + SPEECH_CHUNK_BYTES))) await drained(res);
    if (ctx.faults.cutAfterTokens === ++writes) return cutAfterWrites(res, ctx.tracker);
  }
  res.end();
}
