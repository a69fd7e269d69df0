// POST /v1/audio/transcriptions and /translations: multipart uploads, routed on the `model` field
// read from the form's head (audio/form-head.ts) and streamed to the host (audio/upload.ts);
// POST /v1/audio/speech: JSON in, audio bytes streamed out. Same auth, resolution, host choice,
// retries and ledger as chat (handleInference); metered per second of audio in, or per character.
import type { Context } from "hono";
import type { UsageKind } from "../../schema";
import type { AppEnv } from "../app-env";
import { boundaryOf, type FormHead, readFormHead } from "../audio/form-head";
import { Upload } from "../audio/upload";
import { wavLayout, wavMs } from "../audio/wav";
import { configOf } from "../config";
import { badRequest } from "../errors";
import { discardRest } from "../http/body";
import type { AudioMeasure } from "../usage/from-request";
import { handleInference, readJsonObject } from "./inference";
import type { EndpointSpec } from "./inference-input";

export const audioUploads: Record<string, UsageKind> = {
  "/v1/audio/transcriptions": "transcription",
  "/v1/audio/translations": "translation",
};

/** The fields before the file may take this much; real ones are a few hundred bytes. */
const MAX_HEAD_BYTES = 64 * 1024;
/** Enough of the file for a WAV header with a few metadata chunks before its samples. */
const SNIFF_BYTES = 4096;
/** Bytes a second of audio is taken to be when the file is not a WAV (16 kHz mono 16-bit PCM). */
const FALLBACK_BYTE_RATE = 32_000;

const UPLOAD: EndpointSpec = { input: "prompt", streams: true };
const SPEECH: EndpointSpec = { input: "input", streams: false };

const encoder = new TextEncoder();

/**
 * The head as the host gets it: `model` rewritten to the Hugging Face id and, for a stream, usage
 * asked for (the usage chunk is removed again when the client did not ask), like chat.
 */
function headForHost(head: FormHead, boundary: string, model: string, askUsage: boolean): Uint8Array {
  const field = head.fields.get("model");
  const fileAt = head.file?.delimiterAt ?? head.bytes.length;
  if (!field) return head.bytes;
  const usage = askUsage
    ? encoder.encode(`--${boundary}\r\nContent-Disposition: form-data; name="stream_include_usage"\r\n\r\ntrue\r\n`)
    : new Uint8Array(0);
  const pieces = [
    head.bytes.subarray(0, field.start),
    encoder.encode(model),
    head.bytes.subarray(field.end, fileAt),
    usage,
    head.bytes.subarray(fileAt),
  ];
  const out = new Uint8Array(pieces.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of pieces) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * Seconds of audio the file carries: its WAV header's, else guessed from its size. Before the upload
 * has passed (a limit's reservation), the most it can be: what its declared length leaves room for.
 */
function measureUpload(head: FormHead, upload: Upload | undefined, declared: number | null): AudioMeasure {
  const dataAt = head.file?.dataAt ?? head.bytes.length;
  const fileBytes = Math.max(0, (upload?.bytesSeen ?? declared ?? head.bytes.length) - dataAt);
  const layout = wavLayout(head.bytes.subarray(dataAt));
  if (layout) return { audioMs: wavMs(layout, fileBytes), estimated: false };
  return { audioMs: Math.round((fileBytes * 1000) / FALLBACK_BYTE_RATE), estimated: true };
}

export async function handleUpload(c: Context<AppEnv>, path: string): Promise<Response> {
  const config = configOf(c.env);
  const contentType = c.req.header("content-type");
  const declared = c.req.header("content-length");
  const declaredLength = declared === undefined ? null : Number(declared);
  const boundary = boundaryOf(contentType);
  const body = c.req.raw.body;
  const reader = body?.getReader();
  if (!body || !reader) throw badRequest("The upload has no body: a form with `model` and `file` is required.", "file");
  const limits = { maxBytes: config.AUDIO_MAX_BODY_BYTES, idleMs: config.BODY_READ_TIMEOUT_MS };
  let upload: Upload | undefined;
  const discard = () => (upload ? upload.discard() : discardRest(reader, limits.maxBytes, limits.idleMs));
  try {
    const head = await readFormHead(reader, boundary, {
      maxHeadBytes: MAX_HEAD_BYTES,
      sniffBytes: SNIFF_BYTES,
      maxBytes: limits.maxBytes,
      timeoutMs: config.BODY_READ_TIMEOUT_MS,
    });
    const model = head.fields.get("model")?.value;
    if (model === undefined && head.file)
      throw badRequest(
        "`model` must come before `file` in the form: the router routes on it without holding the upload.",
        "model",
        "model_after_file",
      );
    if (!head.file) throw badRequest("`file` is required (a form part with a filename).", "file");
    const stream = head.fields.get("stream")?.value === "true";
    const clientWantsUsage = head.fields.get("stream_include_usage")?.value === "true";
    const response = await handleInference(c, path, UPLOAD, {
      body: { model, stream, stream_options: { include_usage: clientWantsUsage } },
      validate: () => {},
      kind: audioUploads[path],
      answer: "transcript",
      payload: (resolved) => {
        const sent = headForHost(
          head,
          boundary,
          resolved.model.hfId,
          stream && !head.fields.has("stream_include_usage"),
        );
        upload = new Upload(sent, head.complete || !body ? null : { body, reader }, {
          contentType: contentType ?? "",
          headBytesRead: head.bytes.length,
          declaredLength,
          ...limits,
        });
        return upload;
      },
      audio: () => measureUpload(head, upload, declaredLength),
    });
    // An answer that did not take the whole upload (a failed host, the size limit): drain the rest,
    // or the client, still sending, sees a reset instead of the answer.
    if (!response.ok) await discard();
    return response;
  } catch (err) {
    await discard();
    throw err;
  }
}

const codePoints = (text: string): number => {
  let n = 0;
  for (const _ of text) n++;
  return n;
};

export async function handleSpeech(c: Context<AppEnv>): Promise<Response> {
  const body = await readJsonObject(c);
  const input = body.input;
  if (typeof input !== "string" || input === "") throw badRequest("`input` must be a non-empty string.", "input");
  if (body.voice !== undefined && typeof body.voice !== "string" && typeof body.voice !== "object")
    throw badRequest("`voice` must be a string.", "voice");
  const characters = codePoints(input);
  return handleInference(c, "/v1/audio/speech", SPEECH, {
    body,
    validate: () => {},
    kind: "speech",
    answer: "audio",
    // Speech servers take the body as the client wrote it (no stream_options).
    upstream: (named) => named,
    audio: () => ({ inputCharacters: characters, estimated: false }),
  });
}
