// One attempt: call the leased host and hold its answer until the first bytes are in hand (or, for a
// small JSON answer, all of them), so a host that fails before a byte has reached the client can
// still be replaced. forward.ts decides what to do with the outcome.
import type { Lease } from "../contracts";
import { type AnswerKind, expectedTypes, isAnswer, readsWhole } from "./answers";
import { type PrimedBody, withFirstChunk } from "./first-chunk";
import type { StreamedBody } from "./streamed-body";

/** What the host is sent (forward.ts's plan, the parts an attempt needs). */
export interface HostCall {
  endpoint: string;
  method?: "GET" | "POST" | "DELETE";
  payload: string | StreamedBody;
  requestId: string;
  answer: AnswerKind;
}

export type Attempt =
  | {
      kind: "answered";
      response: Response;
      /** A streamed answer: its first read, done. */
      primed?: PrimedBody;
      firstChunkAt?: number;
      /** A small JSON answer, read whole by the runtime: no JS touches it chunk by chunk. */
      whole?: Uint8Array;
    }
  | { kind: "failed"; status: 502 | 504; reason: string; code: string };

/**
 * A JSON answer up to this size, with a declared length, is read whole in one native call (vLLM sends
 * Content-Length on JSON). Larger ones (float embeddings can be tens of MB in a 128 MB isolate) and
 * chunked ones stream through the relay, which keeps only their tail.
 */
export const WHOLE_JSON_MAX_BYTES = 1 << 20;

function declaredSmall(response: Response): boolean {
  const declared = response.headers.get("content-length");
  if (declared === null || !/^\d{1,8}$/.test(declared)) return false;
  return Number(declared) <= WHOLE_JSON_MAX_BYTES;
}

/**
 * Why a host's answer is not one at all, or null: a redirect (never followed: the prompt must not
 * go anywhere the operator did not register), or a 2xx that is not of the kind asked for (a proxy's
 * web page, plain JSON to a stream). Such an answer is the host's fault.
 */
function notAnAnswer(response: Response, kind: AnswerKind): string | null {
  if (response.status >= 300 && response.status < 400) return `answered ${response.status}; hosts must not redirect`;
  if (!response.ok) return null;
  const type = response.headers.get("content-type") ?? "";
  return isAnswer(kind, type)
    ? null
    : `answered ${response.status} with Content-Type \`${type}\`, not \`${expectedTypes(kind)}\``;
}

export async function callHost(lease: Lease, call: HostCall, timeoutMs: number): Promise<Attempt> {
  // The timeout covers the headers and, for a 2xx answer, its first bytes (see first-chunk.ts) or its
  // whole small JSON body; after that a long stream is bounded by the relay's idle timeout.
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    const method = call.method ?? "POST";
    const { payload } = call;
    const response = await fetch(`${lease.baseUrl}${call.endpoint}`, {
      method,
      headers: {
        "content-type": typeof payload === "string" ? "application/json" : payload.contentType,
        "x-request-id": call.requestId,
        // The host's own vLLM --api-key; the client's key never leaves the router.
        ...(lease.apiKey ? { authorization: `Bearer ${lease.apiKey}` } : {}),
      },
      // An upload that fails mid-way aborts the call, so the host never takes a cut body for a whole one.
      body:
        method !== "POST" ? undefined : typeof payload === "string" ? payload : payload.open(() => controller.abort()),
      signal: controller.signal,
      redirect: "manual",
    });
    const wrong = notAnAnswer(response, call.answer);
    if (wrong) {
      await response.body?.cancel();
      return { kind: "failed", status: 502, reason: wrong, code: "upstream_bad_answer" };
    }
    if (!response.ok || !response.body) return { kind: "answered", response };
    // A body cut here has reached no client: the attempt failed and another host may take the request.
    if (readsWhole(call.answer, response.headers.get("content-type")) && declaredSmall(response))
      return { kind: "answered", response, whole: new Uint8Array(await response.arrayBuffer()) };
    const primed = await withFirstChunk(response.body);
    return { kind: "answered", response, primed, firstChunkAt: Date.now() };
  } catch (err) {
    return controller.signal.aborted
      ? { kind: "failed", status: 504, reason: `no answer within ${timeoutMs} ms`, code: "upstream_timeout" }
      : { kind: "failed", status: 502, reason: `connection failed: ${String(err)}`, code: "upstream_unreachable" };
  } finally {
    clearTimeout(timer);
  }
}
