// The head of a multipart/form-data upload: its text fields up to the first file part, read off the
// stream so the request can be routed on `model` while the file itself streams on to the host.
// Holding a 25 MiB file to find a `model` field sent after it would put whole uploads in an
// isolate's 128 MB, which all its requests share; so `model` must come before the file (the Python
// SDK and httpx always send fields first; in Node, list `model` before `file`; curl: `-F model=…` first).
import { badRequest, RouterError } from "../errors";
import { readTimedOut, tooLarge, unreadable } from "../http/body";

/** A text field's value and where it sits in the head's bytes. */
export interface FormField {
  value: string;
  start: number;
  end: number;
}

export interface FormHead {
  /** Everything read so far, as the client sent it: the fields, the file part's headers, the file's first bytes. */
  bytes: Uint8Array;
  fields: ReadonlyMap<string, FormField>;
  /** Where the file part's delimiter line starts and where its content starts; null: no file part. */
  file: { delimiterAt: number; dataAt: number } | null;
  /** The body ended within `bytes`. */
  complete: boolean;
}

export interface HeadLimits {
  /** The fields before the file may not take more than this. */
  maxHeadBytes: number;
  /** Bytes of the file to have at hand (its format's header). */
  sniffBytes: number;
  /** The whole upload's limit (a body without Content-Length is counted as it comes). */
  maxBytes: number;
  timeoutMs: number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const CRLF = encoder.encode("\r\n");
const BLANK_LINE = encoder.encode("\r\n\r\n");

function indexOf(hay: Uint8Array, needle: Uint8Array, from: number): number {
  const first = needle[0];
  for (let at = hay.indexOf(first ?? 0, from); at >= 0 && at + needle.length <= hay.length; ) {
    let i = 1;
    while (i < needle.length && hay[at + i] === needle[i]) i++;
    if (i === needle.length) return at;
    at = hay.indexOf(first ?? 0, at + 1);
  }
  return -1;
}

/** The boundary of a multipart/form-data Content-Type (RFC 2046: 1–70 characters), else 400. */
export function boundaryOf(contentType: string | undefined): string {
  const type = contentType ?? "";
  const m = /;\s*boundary=(?:"([^"]{1,70})"|([^;\s]{1,70}))/i.exec(type);
  const boundary = m?.[1] ?? m?.[2];
  if (!type.trim().toLowerCase().startsWith("multipart/form-data") || !boundary)
    throw badRequest("Audio uploads must be multipart/form-data with a boundary, a `file` and a `model`.", "file");
  return boundary;
}

const param = (disposition: string, name: string): string | undefined => {
  const m = new RegExp(`;\\s*${name}=(?:"((?:[^"\\\\]|\\\\.)*)"|([^;\\s]+))`, "i").exec(disposition);
  return m?.[1] ?? m?.[2];
};

/** The fields and file position, once `bytes` holds every field before the file; null: read more. */
export function parseHead(bytes: Uint8Array, boundary: string): Omit<FormHead, "bytes" | "complete"> | null {
  const dash = encoder.encode(`--${boundary}`);
  const delimiter = encoder.encode(`\r\n--${boundary}`);
  const fields = new Map<string, FormField>();
  let at = indexOf(bytes, dash, 0);
  if (at < 0) return null;
  for (;;) {
    const after = at + dash.length;
    if (bytes.length < after + 2) return null;
    if (bytes[after] === 45 && bytes[after + 1] === 45) return { fields, file: null }; // "--": the form's end
    const lineEnd = indexOf(bytes, CRLF, after);
    if (lineEnd < 0) return null;
    const headersEnd = indexOf(bytes, BLANK_LINE, lineEnd);
    if (headersEnd < 0) return null;
    const headers = decoder.decode(bytes.subarray(lineEnd + 2, headersEnd));
    const disposition = /^content-disposition:(.*)$/im.exec(headers)?.[1] ?? "";
    const dataAt = headersEnd + 4;
    if (param(disposition, "filename") !== undefined || param(disposition, "filename\\*") !== undefined)
      return { fields, file: { delimiterAt: at, dataAt } };
    const name = param(disposition, "name");
    if (name === undefined) throw badRequest("A form part has no name (Content-Disposition: form-data; name=…).");
    const end = indexOf(bytes, delimiter, dataAt);
    if (end < 0) return null;
    if (fields.has(name)) throw badRequest(`The form field \`${name}\` is given twice.`, name);
    fields.set(name, { value: decoder.decode(bytes.subarray(dataAt, end)), start: dataAt, end });
    at = end + 2;
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** Reads the client's body up to the file's first `sniffBytes` (or its end); the reader keeps the rest. */
export async function readFormHead(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  boundary: string,
  limits: HeadLimits,
): Promise<FormHead> {
  let bytes: Uint8Array = new Uint8Array(0);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(readTimedOut(limits.timeoutMs)), limits.timeoutMs);
  });
  try {
    for (;;) {
      const parsed = parseHead(bytes, boundary);
      if (parsed && (parsed.file === null || bytes.length >= parsed.file.dataAt + limits.sniffBytes))
        return { bytes, ...parsed, complete: false };
      if (!parsed && bytes.length > limits.maxHeadBytes)
        throw badRequest(
          `The form's fields before the file exceed ${limits.maxHeadBytes} bytes (is \`model\` sent before \`file\`?).`,
          "model",
        );
      const { done, value } = await Promise.race([reader.read(), deadline]);
      if (done) {
        if (parsed) return { bytes, ...parsed, complete: true };
        throw badRequest("The multipart/form-data body ended before its fields did.", null, "invalid_body");
      }
      bytes = concat(bytes, value);
      if (bytes.length > limits.maxBytes) throw tooLarge(limits.maxBytes);
    }
  } catch (err) {
    if (err instanceof RouterError) throw err;
    throw unreadable();
  } finally {
    clearTimeout(timer);
  }
}
