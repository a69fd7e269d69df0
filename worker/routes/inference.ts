// POST /v1/chat/completions, /v1/completions, /v1/embeddings: validate, resolve the model,
// rewrite `model` to the Hugging Face id the hosts serve, and forward.
import type { Context } from "hono";
import type { UsageKind } from "../../schema";
import type { AppEnv } from "../app-env";
import { getCatalog } from "../catalog";
import { configOf } from "../config";
import { badRequest } from "../errors";
import { readJson } from "../http/body";
import { type Admitted, admitLimited, isBudgeted, isLimited } from "../limits/admission";
import type { LogFields } from "../middleware/access-log";
import { assertModelAllowed } from "../middleware/auth";
import type { AnswerKind } from "../proxy/answers";
import { type ForwardPlan, forward, type Settled } from "../proxy/forward";
import type { StreamedBody } from "../proxy/streamed-body";
import { type ResolvedModel, resolveModel } from "../routing/resolve-model";
import { SESSION_KEY, SESSION_KEY_RULE } from "../sessions/session-key";
import { admitMetered } from "../usage/admission";
import type { AudioMeasure } from "../usage/from-request";
import { type EndpointSpec, maxOutputTokens, promptChars, validateInput } from "./inference-input";

export const inferenceEndpoints: Record<string, EndpointSpec> = {
  "/v1/chat/completions": { input: "messages", streams: true },
  "/v1/completions": { input: "prompt", streams: true },
  "/v1/embeddings": { input: "input", streams: false },
};

export async function readJsonObject(c: Context<AppEnv>): Promise<Record<string, unknown>> {
  const body = await readJson(c);
  if (body === undefined) throw badRequest("The request body must be valid JSON.", null, "invalid_json");
  if (typeof body !== "object" || body === null || Array.isArray(body))
    throw badRequest("The request body must be a JSON object.");
  return body as Record<string, unknown>;
}

/** What an endpoint with its own rules (routes/responses.ts) adds to the common flow. */
export interface InferenceHooks {
  /** The body, when the route has already read it. */
  body?: Record<string, unknown>;
  /** The endpoint's own checks, instead of validateInput's. */
  validate?: (body: Record<string, unknown>) => void;
  /** What the ledger row meters (default generation). */
  kind?: UsageKind;
  /** The host that must serve it (it holds the request's state), checked against the resolved model. */
  holder?: (resolved: ResolvedModel) => Promise<ForwardPlan["holder"]>;
  /** The host's body; by default `stream_options.include_usage` is added to streams. */
  upstream?: (body: Record<string, unknown>) => Record<string, unknown>;
  /** Runs once the host has answered, before the response leaves (e.g. remember who holds it). */
  answered?: (response: Response, resolved: ResolvedModel) => Promise<void>;
  /** An upload streamed to the host instead of the JSON body (routes/audio.ts). */
  payload?: (resolved: ResolvedModel) => StreamedBody;
  /** What the host's answer may be (default JSON, or SSE when streaming). */
  answer?: AnswerKind;
  /** Audio kinds: what the request carries, for metering. */
  audio?: () => AudioMeasure;
}

export async function handleInference(
  c: Context<AppEnv>,
  endpoint: string,
  spec: EndpointSpec,
  hooks: InferenceHooks = {},
): Promise<Response> {
  const arrivedAt = Date.now();
  admitMetered(c.env, (p) => c.executionCtx.waitUntil(p));
  const body = hooks.body ?? (await readJsonObject(c));
  if (hooks.validate) hooks.validate(body);
  else validateInput(body, spec);
  const sessionKey = c.req.header("x-inventiv-session")?.trim() || null;
  if (sessionKey !== null && !SESSION_KEY.test(sessionKey)) {
    throw badRequest(`\`X-Inventiv-Session\` must be ${SESSION_KEY_RULE}.`, "X-Inventiv-Session");
  }
  const caller = c.get("caller");
  const requested = body.model;
  const catalog = await getCatalog(c.env, typeof requested === "string" ? requested : undefined, (work) =>
    c.executionCtx.waitUntil(work),
  );
  const resolved = resolveModel(catalog, requested, caller.organizationId);
  assertModelAllowed(caller, resolved.model.hfId, resolved.offering?.key ?? null, String(requested));

  const stream = body.stream === true;
  const streamOptions = (
    typeof body.stream_options === "object" && body.stream_options !== null ? body.stream_options : {}
  ) as Record<string, unknown>;
  const clientWantsUsage = streamOptions.include_usage === true;
  const holder = await hooks.holder?.(resolved);
  const metered = {
    requestId: c.get("requestId"),
    // The client may send any X-Request-Id, even one used before; the ledger's key must be ours.
    ledgerId: c.req.header("x-request-id") === c.get("requestId") ? crypto.randomUUID() : c.get("requestId"),
    endpoint,
    promptChars: promptChars(body, spec),
    resolved,
    caller,
    sessionKey,
    kind: hooks.kind,
    audio: hooks.audio,
  };
  // Streaming endpoints are the generating ones; embeddings and utility calls produce no output tokens.
  const maxTokens = maxOutputTokens(body);
  const outputCap = spec.streams ? (maxTokens ?? configOf(c.env).LIMITS_DEFAULT_MAX_TOKENS) : 0;
  // A key without limits skips this entirely: no call, no await.
  const admitted: Admitted | null = isLimited(caller)
    ? await admitLimited(c.env, c.executionCtx, { ...metered, outputCap, arrivedAt })
    : null;
  const upstreamPayload = (): string => {
    const named: Record<string, unknown> = { ...body, model: resolved.model.hfId };
    // Under a budget the reserved worst case must hold: a request without a cap is sent with the default one.
    if (admitted && spec.streams && maxTokens === undefined && isBudgeted(caller))
      named[endpoint === "/v1/responses" ? "max_output_tokens" : "max_tokens"] = outputCap;
    // Always ask the host for usage on streams; the chunk is removed again if the client did not ask.
    const upstreamBody =
      hooks.upstream?.(named) ??
      (stream ? { ...named, stream_options: { ...streamOptions, include_usage: true } } : named);
    // Serialised once, here, for every attempt.
    return JSON.stringify(upstreamBody);
  };

  let forwarded: ReturnType<typeof forward>;
  try {
    forwarded = forward(c.env, c.executionCtx, {
      ...metered,
      payload: hooks.payload?.(resolved) ?? upstreamPayload(),
      answer: hooks.answer,
      stream,
      clientWantsUsage,
      maxTokens,
      holder,
    });
  } catch (err) {
    // Admitted but never sent: the reservation is given back.
    admitted?.settle(Promise.reject(err));
    throw err;
  }
  admitted?.settle(forwarded.then(({ settled }) => settled));
  // Handed to waitUntil (by the access log) before the first await: a client that leaves while its
  // worker is being chosen or called must not take the lease release and the usage event with it.
  // The request's log line waits for the body's end and carries the outcome.
  const log = c.get("accessLog");
  log.until(
    forwarded
      .then(({ settled }) => settled)
      .then(
        (s) => Object.assign(log.fields, settledFields(resolved.model.hfId, s)),
        () => {
          log.fields.status = 500;
        },
      ),
  );
  const { response } = await forwarded;
  if (admitted) for (const [name, value] of Object.entries(admitted.headers)) response.headers.set(name, value);
  await hooks.answered?.(response, resolved);
  return response;
}

/** The inference fields of the request's access-log line. */
export const settledFields = (model: string, s: Settled): LogFields => ({
  model,
  instance: s.instanceId,
  status: s.status,
  outcome: s.outcome,
  attempts: s.attempts,
  input_tokens: s.inputTokens,
  output_tokens: s.outputTokens,
});
