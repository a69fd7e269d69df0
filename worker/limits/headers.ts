// What a limited key's responses say about its limits, in OpenAI's forms: the x-ratelimit-* headers on
// every answer, and the 429 (rate_limit_exceeded, insufficient_quota) with Retry-After on a refusal.
// Pure: the limiter's Quota in, headers and the RouterError out.
import { RouterError } from "../errors";
import type { Admission, Limits, Quota } from "./policy";

/** A duration as OpenAI writes its resets: "250ms", "1s", "6m0s", "1h0m5s" (whole seconds from 1 s up, rounded up). */
export function formatReset(ms: number): string {
  if (ms <= 0) return "0s";
  if (ms < 1000) return `${Math.ceil(ms)}ms`;
  const total = Math.ceil(ms / 1000);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  return h > 0 ? `${h}h${m}m${s}s` : m > 0 ? `${m}m${s}s` : `${s}s`;
}

/** The requests trio when the scope has `rpm`, the tokens trio when it has `tpm`. */
export function rateLimitHeaders(q: Quota): Record<string, string> {
  const headers: Record<string, string> = {};
  if (q.limitRequests !== null) {
    headers["x-ratelimit-limit-requests"] = String(q.limitRequests);
    headers["x-ratelimit-remaining-requests"] = String(q.remainingRequests ?? 0);
    headers["x-ratelimit-reset-requests"] = formatReset(q.resetRequestsMs ?? 0);
  }
  if (q.limitTokens !== null) {
    headers["x-ratelimit-limit-tokens"] = String(q.limitTokens);
    headers["x-ratelimit-remaining-tokens"] = String(q.remainingTokens ?? 0);
    headers["x-ratelimit-reset-tokens"] = formatReset(q.resetTokensMs ?? 0);
  }
  return headers;
}

const WHOSE = { key: "this API key", org: "your organization" } as const;

/** The 429 for a refusal: OpenAI's codes and types, Retry-After in whole seconds, the rate-limit headers. */
export function refusalError(
  refusal: Extract<Admission, { ok: false }>,
  by: keyof typeof WHOSE,
  limits: Limits,
  askedTokens: number,
): RouterError {
  const q = refusal.quota;
  const wait = formatReset(refusal.retryAfterMs);
  const headers = {
    ...rateLimitHeaders(q),
    "retry-after": String(Math.max(1, Math.ceil(refusal.retryAfterMs / 1000))),
  };
  const whose = WHOSE[by];
  const rate = (type: string, message: string) =>
    new RouterError(429, {
      message: `${message} Please try again in ${wait}.`,
      type,
      code: "rate_limit_exceeded",
      headers,
    });
  switch (refusal.reason) {
    case "requests":
      return rate(
        "requests",
        `Rate limit reached for requests per minute (RPM) of ${whose}: limit ${limits.rpm}, used ${limits.rpm}.`,
      );
    case "tokens":
      return rate(
        "tokens",
        `Rate limit reached for tokens per minute (TPM) of ${whose}: limit ${limits.tpm}, used ${(limits.tpm ?? 0) - (q.remainingTokens ?? 0)}, requested ${askedTokens}.`,
      );
    case "concurrency":
      return rate("requests", `Too many requests in flight for ${whose}: limit ${limits.maxConcurrent}.`);
    case "budget":
      return new RouterError(429, {
        message: `You exceeded your current quota: the ${limits.budget?.period} budget of ${whose} (${limits.budget?.amount}) is spent. It renews in ${wait}.`,
        type: "insufficient_quota",
        code: "insufficient_quota",
        headers,
      });
  }
}
