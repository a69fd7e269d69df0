// The `limits` scenario (LOAD_SCENARIO=limits, or --limits): every chat goes out with one key limited to
// LOAD_LIMIT_RPM requests per minute, made for the run through the admin API. Its checks: the limit is
// reached (some 429 rate_limit_exceeded), never a 5xx, and the chats served in any sliding minute (by the
// time they were sent) stay within 1 % of the limit.
import type { ThresholdOutcome } from "./evaluate";
import { type HttpClient, statusReason } from "./http";

/** How far over the limit a sliding minute may count, by send times (admission happens a little later). */
export const LIMIT_TOLERANCE = 0.01;
const MINUTE_MS = 60_000;

export interface LimitsResult {
  rpm: number;
  keyId: string;
  served: number;
  refused: number;
  serverErrors: number;
  /** Most chats served among those sent within any 60 s. */
  busiestMinute: number;
  /** busiestMinute / rpm. */
  busiestShare: number;
}

/** A member key with these limits (the admin API's form), made with the client's (admin) key. */
export async function createLimitedKey(
  client: HttpClient,
  limits: Record<string, unknown>,
): Promise<{ id: string; key: string }> {
  const r = await client.send("POST", "/api-keys", {
    body: { name: `load limits ${new Date().toISOString()}`, role: "member", limits },
  });
  if (r.status !== 201)
    throw new Error(
      `the limits scenario needs an admin LOAD_API_KEY: POST /api-keys ${statusReason(r.status, r.text)}`,
    );
  return JSON.parse(r.text) as { id: string; key: string };
}

/** The greatest number of times lying within any window [t, t + windowMs). */
export function busiestWindow(times: readonly number[], windowMs = MINUTE_MS): number {
  const sorted = [...times].sort((a, b) => a - b);
  let best = 0;
  for (let i = 0, j = 0; j < sorted.length; j++) {
    while ((sorted[j] ?? 0) - (sorted[i] ?? 0) >= windowMs) i++;
    best = Math.max(best, j - i + 1);
  }
  return best;
}

export class LimitTracker {
  private readonly sentAtOfServed: number[] = [];
  private refused = 0;
  private serverErrors = 0;

  constructor(
    readonly rpm: number,
    readonly keyId: string,
  ) {}

  /** One chat of the limited key: when it was sent (ms into the run) and its status. */
  note(sentAtMs: number, status: number): void {
    if (status === 200) this.sentAtOfServed.push(sentAtMs);
    else if (status === 429) this.refused += 1;
    else if (status >= 500) this.serverErrors += 1;
  }

  result(): LimitsResult {
    const busiestMinute = busiestWindow(this.sentAtOfServed);
    return {
      rpm: this.rpm,
      keyId: this.keyId,
      served: this.sentAtOfServed.length,
      refused: this.refused,
      serverErrors: this.serverErrors,
      busiestMinute,
      busiestShare: busiestMinute / this.rpm,
    };
  }
}

export function limitOutcomes(r: LimitsResult): ThresholdOutcome[] {
  const bound = r.rpm * (1 + LIMIT_TOLERANCE);
  const check = (metric: string, limit: string, actual: string, ok: boolean, what: string): ThresholdOutcome => ({
    subject: "limits",
    metric,
    limit,
    actual,
    verdict: ok ? "pass" : "fail",
    message: `${ok ? "PASS" : "FAIL"} limits: ${what}`,
  });
  return [
    check(
      "429s",
      "> 0",
      String(r.refused),
      r.refused > 0,
      `${r.refused} chats refused with 429 (the limit was reached)`,
    ),
    check("5xx", "= 0", String(r.serverErrors), r.serverErrors === 0, `${r.serverErrors} chats answered 5xx`),
    check(
      "busiest minute",
      `≤ ${bound.toFixed(1)}`,
      String(r.busiestMinute),
      r.busiestMinute <= bound,
      `at most ${r.busiestMinute} chats served in any 60 s for rpm ${r.rpm} (${(r.busiestShare * 100).toFixed(1)} %, bound ${(100 + LIMIT_TOLERANCE * 100).toFixed(0)} %)`,
    ),
  ];
}
