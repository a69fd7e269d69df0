// What every inference-like request goes through before it is served: the injected faults, in
// their documented precedence (types.ts, Faults). True when the request was answered (or hung).
import type { IncomingMessage, ServerResponse } from "node:http";
import { closed, header, sendJson, sendText } from "./http-util";
import type { HostState, Tracker } from "./state";
import { vllmError } from "./vllm-errors";

const LOGIN_PAGE = "<!doctype html><html><head><title>Sign in</title></head><body><form>Sign in</form></body></html>";
const ENGINE_DEAD = "EngineCore encountered an issue. See stack trace (above) for the root cause.";

export interface Admitted {
  tracker: Tracker;
  /** vLLM echoes X-Request-Id (with --enable-request-id-headers); routers may correlate on it. */
  headers: Record<string, string>;
}

export function admit(state: HostState, req: IncomingMessage, res: ServerResponse, model: string): Admitted {
  const requestId = header(req, "x-request-id");
  const tracker = state.begin(res, requestId, model);
  return { tracker, headers: requestId ? { "x-request-id": requestId } : {} };
}

/** Answers the request with its injected fault, if one applies; the caller stops when it returns true. */
export async function answeredByFault(state: HostState, res: ServerResponse, a: Admitted): Promise<boolean> {
  const { tracker, headers } = a;
  const faults = state.faults;
  if (faults.hang) {
    await closed(res);
    return true;
  }
  if (faults.engineDead) {
    tracker.error();
    sendJson(res, 500, vllmError(500, ENGINE_DEAD), headers);
    return true;
  }
  if (faults.redirectTo !== undefined) {
    res.writeHead(307, { location: faults.redirectTo, "content-length": 0, ...headers });
    res.end();
    return true;
  }
  if (faults.htmlPage) {
    sendText(res, 200, "text/html; charset=utf-8", LOGIN_PAGE);
    return true;
  }
  const failure = state.takeFailure();
  if (failure !== undefined) {
    tracker.error();
    sendJson(res, failure, vllmError(failure, faults.errorMessage ?? `mock-gpu: injected HTTP ${failure}`), headers);
    return true;
  }
  return false;
}
