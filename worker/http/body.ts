// Reading a request body, bounded: only handlers read bodies, so only after the caller has been
// authenticated from the headers (an unknown caller's upload is never read), and never more than
// MAX_BODY_BYTES nor for longer than BODY_READ_TIMEOUT_MS. A body declared too large by its
// Content-Length is refused before anything is read (refuseDeclaredOversize). Uploads
// (multipart/form-data, only the audio routes take them) are streamed through, not read here
// (worker/audio/): their limit is AUDIO_MAX_BODY_BYTES.
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../app-env";
import { configOf } from "../config";
import { badRequest, RouterError } from "../errors";

export const isUpload = (contentType: string | undefined): boolean =>
  (contentType ?? "").trim().toLowerCase().startsWith("multipart/form-data");

/** The limits for this request's body: an upload's, or any other body's. */
export const bodyLimits = (c: Context<AppEnv>) => {
  const config = configOf(c.env);
  const upload = isUpload(c.req.header("content-type"));
  return {
    maxBytes: upload ? config.AUDIO_MAX_BODY_BYTES : config.MAX_BODY_BYTES,
    timeoutMs: config.BODY_READ_TIMEOUT_MS,
  };
};

export const tooLarge = (maxBytes: number) =>
  new RouterError(413, { message: `Request body exceeds ${maxBytes} bytes.`, code: "request_too_large" });

// 408, not 400: the request was not malformed, it did not arrive in time (RFC 9110 §15.5.9).
export const readTimedOut = (timeoutMs: number) =>
  new RouterError(408, {
    message: `The request body did not arrive within ${timeoutMs} ms.`,
    code: "request_timeout",
    headers: { connection: "close" },
  });

export const unreadable = () =>
  badRequest("The request body could not be read (broken chunked framing?).", null, "invalid_body");

/** 413 on a declared Content-Length over the limit, before the body is read or the key is checked. */
export const refuseDeclaredOversize = createMiddleware<AppEnv>(async (c, next) => {
  const declared = c.req.header("content-length");
  const { maxBytes } = bodyLimits(c);
  if (declared !== undefined && Number(declared) > maxBytes) throw tooLarge(maxBytes);
  await next();
});

class ReadTimeout extends Error {}

/** The chunks of a body without a declared length, counted against the limit as they come. */
async function readCounted(reader: ReadableStreamDefaultReader<Uint8Array>, maxBytes: number): Promise<string> {
  const decoder = new TextDecoder();
  let text = "";
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return text + decoder.decode();
    size += value.byteLength;
    if (size > maxBytes) throw tooLarge(maxBytes);
    text += decoder.decode(value, { stream: true });
  }
}

/**
 * The whole body as text; 413 over the limit, 408 too slow, 400 when the framing is broken. A body
 * with a declared length (refuseDeclaredOversize has checked it against the limit, and the runtime
 * never reads past it) is read in one native call: a JSON request costs no JS per chunk. Either way
 * one deadline covers the whole read.
 */
export async function readBodyText(c: Context<AppEnv>): Promise<string> {
  const stream = c.req.raw.body;
  if (!stream) return "";
  const { MAX_BODY_BYTES: maxBytes, BODY_READ_TIMEOUT_MS: timeoutMs } = configOf(c.env);
  const reader = c.req.header("content-length") === undefined ? stream.getReader() : null;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ReadTimeout()), timeoutMs);
  });
  try {
    return await Promise.race([reader ? readCounted(reader, maxBytes) : c.req.raw.text(), deadline]);
  } catch (err) {
    reader?.cancel().catch(() => {});
    if (err instanceof RouterError) throw err;
    if (err instanceof ReadTimeout) throw readTimedOut(timeoutMs);
    throw unreadable();
  } finally {
    clearTimeout(timer);
  }
}

/** The body parsed as JSON; `undefined` when it is not JSON (the caller says what it expected). */
export async function readJson(c: Context<AppEnv>): Promise<unknown> {
  const text = await readBodyText(c);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * Before answering an error without having read the body (413 on its Content-Length, 401…): read
 * the rest and discard it, up to 4 × its limit and BODY_READ_TIMEOUT_MS. Closing with unread
 * bytes makes the kernel reset the connection, and a client still writing then sees EPIPE instead
 * of the answer. Nothing is kept, so an unknown caller's upload costs no memory.
 */
export async function discardUnreadBody(c: Context<AppEnv>): Promise<void> {
  const stream = c.req.raw.body;
  if (!stream || c.req.raw.bodyUsed || stream.locked) return;
  const { maxBytes, timeoutMs } = bodyLimits(c);
  await discardRest(stream.getReader(), maxBytes, timeoutMs);
}

/** Reads what is left of a body and drops it, up to 4 × `maxBytes` and `timeoutMs`. */
export async function discardRest(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  maxBytes: number,
  timeoutMs: number,
): Promise<void> {
  const stop = setTimeout(() => reader.cancel().catch(() => {}), timeoutMs);
  try {
    for (let seen = 0; seen <= 4 * maxBytes; ) {
      const { done, value } = await reader.read();
      if (done) return;
      seen += value.byteLength;
    }
    reader.cancel().catch(() => {});
  } catch {
    // broken framing or cancelled: nothing more to discard
  } finally {
    clearTimeout(stop);
  }
}
