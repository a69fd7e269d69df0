// Admission of a limited key's request (routes/inference.ts): exactly one LimiterObject call before the
// request is forwarded (the key's, which asks the organization's when both have limits; else the
// organization's), reserving its worst case, and one settlement with what it really used when it ends
// however it ends (waitUntil, off the response path), carried by the isolate's next admission there
// (owed-settlements.ts). Keys without limits never come here.
// Refusals are 429s in OpenAI's shape and ledger rows `refused` at no charge. An unreachable limiter:
// budgets fail closed (503), rate limits as RATE_LIMIT_FAIL_MODE says.
import type { Caller } from "../app-env";
import { configOf } from "../config";
import type { LimitedScope, LimiterAdmit, LimiterAnswer } from "../contracts";
import type { Env } from "../env";
import { RouterError } from "../errors";
import type { Settled } from "../proxy/forward";
import { limiterFor } from "../stubs";
import { chargedAmount, estimateTokens, type TokenUsage } from "../usage/event";
import { type MeteredRequest, unservedEvent } from "../usage/from-request";
import { recordUsage } from "../usage/record";
import { rateLimitHeaders, refusalError } from "./headers";
import { settleLater, withSettlements } from "./owed-settlements";
import type { Ask } from "./policy";

/** A limiter that has not answered in this long is taken as unreachable. */
const LIMITER_TIMEOUT_MS = 10_000;

export interface LimitedRequest extends MeteredRequest {
  /** The most output the request may generate (max_tokens or the default cap); 0 when it generates none. */
  outputCap: number;
  arrivedAt: number;
}

export interface Admitted {
  /** The x-ratelimit-* headers for the response (none when the limiter was unreachable and rate limits fail open). */
  headers: Record<string, string>;
  /** Hands the request's end to the limiter: its reservation becomes what it used (waitUntil). */
  settle(ended: Promise<Settled>): void;
}

/** True when the key or its organization has limits: only then does a request cost a limiter call. */
export const isLimited = (caller: Caller): boolean => caller.keyLimits !== null || caller.orgLimits !== null;

/** True when the key or its organization has a budget (which fails closed, and caps max_tokens). */
export const isBudgeted = (caller: Caller): boolean =>
  caller.keyLimits?.budget !== undefined || caller.orgLimits?.budget !== undefined;

function scopesOf(caller: Caller): { first: LimitedScope; parent: LimitedScope | null } {
  const key: LimitedScope | null = caller.keyLimits && { kind: "key", id: caller.apiKeyId, limits: caller.keyLimits };
  const org: LimitedScope | null = caller.orgLimits && {
    kind: "org",
    id: caller.organizationId,
    limits: caller.orgLimits,
  };
  const first = key ?? org;
  if (!first) throw new Error("admission of a caller without limits");
  return { first, parent: key ? org : null };
}

/** The worst case to reserve: tokens at their prices; an audio request's own quantity at its unit price. */
function costOf(req: MeteredRequest, usage: TokenUsage): string {
  if (req.kind === "utility") return "0";
  if (req.audio) return chargedAmount({ inputTokens: 0, outputTokens: 0, ...req.audio() }, "0", "0", req.resolved);
  return chargedAmount(usage, req.resolved.priceInputPer1k, req.resolved.priceOutputPer1k);
}

async function callLimiter(env: Env, call: LimiterAdmit): Promise<LimiterAnswer> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${LIMITER_TIMEOUT_MS} ms`)), LIMITER_TIMEOUT_MS);
  });
  try {
    for (let attempt = 1; ; attempt++) {
      try {
        // A fresh stub each time: one that threw may be broken for good. Admission is idempotent per id.
        return await Promise.race([limiterFor(env, call.scope).admit(call), timeout]);
      } catch (err) {
        if (attempt >= 2 || String(err).includes("no answer within")) throw err;
      }
    }
  } finally {
    clearTimeout(timer);
  }
}

export async function admitLimited(
  env: Env,
  ctx: Pick<ExecutionContext, "waitUntil">,
  req: LimitedRequest,
): Promise<Admitted> {
  const { first, parent } = scopesOf(req.caller);
  const prompt = estimateTokens(req.promptChars);
  const ask: Ask = {
    id: req.ledgerId,
    tokens: prompt + req.outputCap,
    cost: costOf(req, { inputTokens: prompt, outputTokens: req.outputCap }),
  };
  const unserved = (failure: RouterError, status: "refused" | "failed"): RouterError => {
    ctx.waitUntil(recordUsage(env, unservedEvent(req, failure.status, status, req.arrivedAt, failure.message)));
    return failure;
  };

  let answer: LimiterAnswer;
  try {
    // The call carries what this isolate owes the limiter (owed-settlements.ts); a failed call owes it again.
    answer = await withSettlements(
      first,
      (settled) => callLimiter(env, { scope: first, parent, ask, settled }),
      (work) => ctx.waitUntil(work),
    );
  } catch (err) {
    const closed = isBudgeted(req.caller) || configOf(env).RATE_LIMIT_FAIL_MODE === "closed";
    console.error(
      JSON.stringify({ msg: "limiter_unavailable", request_id: req.requestId, served: !closed, error: String(err) }),
    );
    if (closed)
      throw unserved(
        new RouterError(503, {
          message: "Your limits cannot be checked right now, so the request was not sent; retry shortly.",
          code: "limits_unavailable",
          headers: { "retry-after": "5" },
        }),
        "failed",
      );
    return { headers: {}, settle: () => {} };
  }
  if (!answer.ok) {
    const limits = (answer.by === first.kind ? first : (parent ?? first)).limits;
    throw unserved(refusalError(answer, answer.by, limits, ask.tokens), "refused");
  }

  return {
    headers: rateLimitHeaders(answer.quota),
    settle: (ended) =>
      ctx.waitUntil(
        ended.then(
          (s) =>
            settleLater(env, first, parent, { id: ask.id, usedTokens: s.inputTokens + s.outputTokens, cost: s.cost }),
          () => settleLater(env, first, parent, { id: ask.id, usedTokens: 0, cost: "0" }),
        ),
      ),
  };
}
