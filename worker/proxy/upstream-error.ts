// A GPU host's error answer (4xx/5xx that is not retried), made safe to hand to an OpenAI client.
// vLLM already answers `{"error":{"message",…}}` and that passes untouched; anything else (an older
// vLLM's flat body, FastAPI's `{"detail":…}`, a proxy's HTML page) is rewrapped in OpenAI's shape
// with the host's message, so the SDKs raise a typed error with something readable in it.
import { type OpenAIErrorBody, openAIError } from "../errors";

/** Error bodies are small; a host sending more is not sending an error body. */
const MAX_ERROR_BYTES = 64 * 1024;

export interface UpstreamError {
  /** The body to send the client (JSON). */
  text: string;
  /** For the usage row and the log. */
  message: string;
  /** The host stalled or broke while sending it: a fault of the host's, beyond its status. */
  broken: boolean;
}

/** The body's text (at most MAX_ERROR_BYTES), or null when it stalled past `timeoutMs` or broke. */
async function readCapped(body: ReadableStream<Uint8Array> | null, timeoutMs: number): Promise<string | null> {
  if (!body) return "";
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let text = "";
  let stalled = false;
  const timer = setTimeout(() => {
    stalled = true;
    reader.cancel().catch(() => {}); // ends the pending read as done
  }, timeoutMs);
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (stalled) return null;
      if (done) return text + decoder.decode();
      text += decoder.decode(value, { stream: true });
      if (text.length > MAX_ERROR_BYTES) {
        await reader.cancel();
        return text.slice(0, MAX_ERROR_BYTES);
      }
    }
  } catch {
    return null;
  } finally {
    clearTimeout(timer);
  }
}

const str = (v: unknown): string | null => (typeof v === "string" && v !== "" ? v : null);

function parse(text: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === "object" && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}

/** Never throws: a body that stalls past `timeoutMs` or breaks still gives the client an answer. */
export async function readUpstreamError(response: Response, timeoutMs: number): Promise<UpstreamError> {
  const text = await readCapped(response.body, timeoutMs);
  if (text === null) {
    const message = `The GPU worker answered HTTP ${response.status}, then broke off its error body.`;
    return { text: JSON.stringify(shaped(response.status, { message })), message, broken: true };
  }
  const json = parse(text);
  const nested = json?.error;
  if (typeof nested === "object" && nested !== null && str((nested as Record<string, unknown>).message)) {
    return { text, message: String((nested as Record<string, unknown>).message), broken: false };
  }
  const flat = json ?? {};
  const detail = flat.detail;
  const message =
    str(flat.message) ??
    str(nested) ??
    str(detail) ??
    (detail !== undefined
      ? JSON.stringify(detail)
      : `The GPU worker answered HTTP ${response.status} without an error message.`);
  return { text: JSON.stringify(shaped(response.status, { ...flat, message })), message, broken: false };
}

/** A host's error fields in OpenAI's shape; its own `type` wins over the status's. */
const shaped = (status: number, fields: Record<string, unknown> & { message: string }): OpenAIErrorBody =>
  openAIError(status, {
    ...fields,
    type: str(fields.type) ?? (status >= 500 ? "upstream_error" : "invalid_request_error"),
    code: str(fields.code), // a rewrapped body keeps only a string code
  });
