// Request routing for the mock host: vLLM's public endpoints plus the /_mock/* control endpoints.
import type { IncomingMessage, ServerResponse } from "node:http";
import { serveEmbeddings } from "./embeddings";
import { parseFaults } from "./faults";
import { serveGeneration, type Timing } from "./generate";
import { header, readBody, sendJson, sendText } from "./http-util";
import { metricsText, modelsList } from "./metrics";
import { type Json, type Limits, parseBody, parseGeneration } from "./parse";
import { admit, answeredByFault } from "./preflight";
import type { HostState } from "./state";
import { isSurfacePath, serveSurface } from "./surface";
import type { Faults } from "./types";
import { RequestError, vllmError } from "./vllm-errors";

export interface HostConfig extends Limits {
  timing: Timing;
  /** vLLM's `--api-key`: required on /v1/* only (vLLM leaves /health and /metrics open). */
  apiKey?: string;
  /** Data-parallel engines shown in /metrics. */
  engines: number;
  /** Settles when model loading is over: until then connections are accepted but nothing is answered. */
  loaded: Promise<void>;
}

type Inference = "chat" | "completion" | "embeddings";

const INFERENCE: Record<string, Inference> = {
  "/v1/chat/completions": "chat",
  "/v1/completions": "completion",
  "/v1/embeddings": "embeddings",
};

const GET_PATHS = new Set(["/health", "/v1/models", "/metrics", "/_mock/stats"]);
const POST_PATHS = new Set([...Object.keys(INFERENCE), "/_mock/faults", "/_mock/reset"]);

export function createHandler(state: HostState, cfg: HostConfig): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    // Kept-alive connections would dodge the 'connection' check in server.ts: refuse here too.
    if (state.faults.refuse) return void req.socket.destroy();
    cfg.loaded
      .then(() => route(state, cfg, req, res))
      .catch((err: unknown) => {
        // Never let one request take the host down; answer 500 if nothing was sent yet.
        if (!res.headersSent) sendJson(res, 500, vllmError(500, `mock-gpu internal error: ${String(err)}`));
        else res.destroy();
      });
  };
}

async function route(state: HostState, cfg: HostConfig, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = (req.url ?? "/").split("?")[0] ?? "/";
  const method = req.method ?? "GET";
  // vLLM's AuthenticationMiddleware: its exact 401 body, for /v1/* only.
  if (cfg.apiKey !== undefined && path.startsWith("/v1") && header(req, "authorization") !== `Bearer ${cfg.apiKey}`)
    return sendJson(res, 401, { error: "Unauthorized" });
  if (method === "GET" && GET_PATHS.has(path)) {
    if (path === "/health") return sendText(res, state.faults.engineDead ? 503 : 200, "text/plain", "");
    if (path === "/v1/models") return sendJson(res, 200, modelsList(cfg.servedModel, cfg.maxModelLen));
    if (path === "/metrics")
      return sendText(
        res,
        200,
        "text/plain; version=0.0.4; charset=utf-8",
        metricsText(state, cfg.servedModel, cfg.engines),
      );
    return sendJson(res, 200, state.snapshot());
  }
  if (isSurfacePath(method, path)) return serveSurface(state, cfg, req, res, method, path);
  if (method === "POST" && POST_PATHS.has(path)) {
    const kind = INFERENCE[path];
    if (kind) return inference(kind, state, cfg, req, res);
    return control(path, state, req, res);
  }
  // FastAPI's own answers for unknown routes and wrong methods.
  if (GET_PATHS.has(path) || POST_PATHS.has(path)) return sendJson(res, 405, { detail: "Method Not Allowed" });
  return sendJson(res, 404, { detail: "Not Found" });
}

async function inference(
  kind: Inference,
  state: HostState,
  cfg: HostConfig,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const raw = await readBody(req);
  if ("error" in raw) {
    if (raw.error === "too-large") sendJson(res, 413, vllmError(413, "Request body too large"));
    return;
  }
  let body: Json | undefined;
  let invalid: RequestError | undefined;
  try {
    body = parseBody(raw.text);
  } catch (err) {
    if (!(err instanceof RequestError)) throw err;
    invalid = err;
  }
  const admitted = admit(state, req, res, typeof body?.model === "string" ? body.model : "");
  if (await answeredByFault(state, res, admitted)) return;
  const { tracker, headers } = admitted;
  const faults = state.faults;
  if (!invalid && !(await state.takeSlot(res))) return;
  try {
    if (invalid || !body) throw invalid ?? new RequestError(400, vllmError(400, "empty body"));
    if (kind === "embeddings") {
      const ctx = { servedModel: cfg.servedModel, ttftMs: cfg.timing.ttftMs, omitUsage: faults.omitUsage === true };
      return await serveEmbeddings(res, body, { ...ctx, state, tracker, headers });
    }
    const parsed = parseGeneration(kind, body, cfg);
    const g = faults.ignoreStream ? { ...parsed, stream: false } : parsed;
    return await serveGeneration(res, g, { state, tracker, timing: cfg.timing, faults, headers });
  } catch (err) {
    if (!(err instanceof RequestError)) throw err;
    tracker.error();
    sendJson(res, err.status, err.body, headers);
  }
}

async function control(path: string, state: HostState, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (path === "/_mock/reset") {
    state.reset();
    return sendJson(res, 200, { ok: true });
  }
  const raw = await readBody(req);
  if ("error" in raw) return;
  let faults: Faults;
  try {
    faults = parseFaults(raw.text);
  } catch (err) {
    return sendJson(res, 400, vllmError(400, err instanceof Error ? err.message : String(err)));
  }
  state.faults = faults;
  sendJson(res, 200, { ok: true, faults });
}
