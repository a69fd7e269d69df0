// A GPU host's error answer (4xx/5xx that is not retried), made safe to hand to an OpenAI client.
// vLLM already answers `{"error":{"message",…}}` and that passes untouched; anything else (an older
// vLLM's flat body, FastAPI's `{"detail":…}`, a proxy's HTML page) is rewrapped in OpenAI's shape
// with the host's message, so the SDKs raise a typed error with something readable in it.
import type { OpenAIErrorBody } from "../errors";

/** Error bodies are small; a host sending more is not sending an error body. */
const MAX_ERROR_BYTES = 64 * 1024;

export interface UpstreamError {
  /** The body to send the client (JSON). */
  text: string;
  /** For the usage row and the log. */
  message: string;
}

async function readCapped(body: ReadableStream<Uint8Array> | null): Promise<string> {
  if (!body) return "";
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let text = "";
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return text + decoder.decode();
    text += decoder.decode(value, { stream: true });
    if (text.length > MAX_ERROR_BYTES) {
      await reader.cancel();
      return text.slice(0, MAX_ERROR_BYTES);
    }
  }
}

const str = (v: unknown): string | null => (typeof v === "string" && v !== "" ? v : null);

function parse(text: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

export async function readUpstreamError(response: Response): Promise<UpstreamError> {
  const text = await readCapped(response.body);
  const json = parse(text);
  const nested = json?.error;
  if (typeof nested === "object" && nested !== null && str((nested as Record<string, unknown>).message)) {
    return { text, message: String((nested as Record<string, unknown>).message) };
  }
  const flat = json ?? {};
  const detail = flat.detail;
  const message =
    str(flat.message) ??
    str(detail) ??
    (detail !== undefined ? JSON.stringify(detail) : `The GPU worker answered HTTP ${response.status} without an error message.`);
  const body: OpenAIErrorBody = {
    error: {
      message,
      type: str(flat.type) ?? (response.status >= 500 ? "upstream_error" : "invalid_request_error"),
      param: str(flat.param),
      code: str(flat.code),
    },
  };
  return { text: JSON.stringify(body), message };
}
