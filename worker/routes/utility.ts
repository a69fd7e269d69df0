// vLLM's utility endpoints — /tokenize, /detokenize, /score, /v1/score, /rerank, /v1/rerank —
// routed to the model's fleet like inference, but not metered as generation: their ledger rows
// are kind `utility`, with the host's counts and no charge.
import type { Context } from "hono";
import type { AppEnv } from "../app-env";
import { badRequest } from "../errors";
import { handleInference } from "./inference";
import { checkDepth, type EndpointSpec } from "./inference-input";

type Check = (body: Record<string, unknown>) => void;

const isText = (v: unknown) => typeof v === "string";
const isTexts = (v: unknown) => isText(v) || (Array.isArray(v) && v.length > 0 && v.every(isText));
const need = (ok: boolean, message: string, param: string) => {
  if (!ok) throw badRequest(message, param);
};

const tokenize: Check = (b) => {
  need(isText(b.prompt) || Array.isArray(b.messages), "`prompt` (a string) or `messages` is required.", "prompt");
  checkDepth(b.messages, "messages");
};
const detokenize: Check = (b) =>
  need(
    Array.isArray(b.tokens) && b.tokens.every((t) => Number.isInteger(t)),
    "`tokens` must be a list of integers.",
    "tokens",
  );
const score: Check = (b) => {
  need(isTexts(b.text_1), "`text_1` must be a string or a non-empty list of strings.", "text_1");
  need(isTexts(b.text_2), "`text_2` must be a string or a non-empty list of strings.", "text_2");
};
const rerank: Check = (b) => {
  need(isText(b.query), "`query` must be a string.", "query");
  need(isTexts(b.documents), "`documents` must be a non-empty list of strings.", "documents");
};

const utility = (validate: Check): { spec: EndpointSpec; validate: Check } => ({
  spec: { input: "prompt", streams: false },
  validate: (body) => {
    need(body.stream === undefined || body.stream === false, "This endpoint does not stream.", "stream");
    validate(body);
  },
});

export const utilityEndpoints = {
  "/tokenize": utility(tokenize),
  "/detokenize": utility(detokenize),
  "/score": utility(score),
  "/v1/score": utility(score),
  "/rerank": utility(rerank),
  "/v1/rerank": utility(rerank),
};

export const handleUtility = (c: Context<AppEnv>, path: keyof typeof utilityEndpoints) => {
  const { spec, validate } = utilityEndpoints[path];
  return handleInference(c, path, spec, { validate, kind: "utility" });
};
