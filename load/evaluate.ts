// Applies thresholds.ts to a run's figures: one outcome per check, each with a line a person can
// read in a CI log ("FAIL chat: 100% errors (503 no_worker_available ×57)").
import type { EndpointName } from "./endpoints";
import type { EndpointSummary } from "./metrics";
import { MIXES } from "./mixes";
import { type Profile, stageWindow } from "./profiles";
import { ENDPOINT_LIMITS, THROUGHPUT_LIMITS } from "./thresholds";

export type Verdict = "pass" | "fail" | "warn" | "skip";

export interface ThresholdOutcome {
  subject: string;
  metric: string;
  limit: string;
  actual: string;
  verdict: Verdict;
  message: string;
}

export interface Evaluation {
  outcomes: ThresholdOutcome[];
  passed: boolean;
}

/** Responses per second of some endpoints within [fromS, toS); null when the window is too short. */
export type RpsBetween = (endpoints: EndpointName[], fromS: number, toS: number) => number | null;

const ms = (v: number): string => `${v < 10 ? v.toFixed(2) : v < 100 ? v.toFixed(1) : Math.round(v)} ms`;
const pct = (r: number): string => `${(r * 100).toFixed(r === 0 || r === 1 ? 0 : 2)}%`;

function reasons(list: { reason: string; count: number }[]): string {
  const top = list.slice(0, 3).map((r) => (list.length === 1 ? r.reason : `${r.reason} ×${r.count}`));
  return top.join(", ") + (list.length > 3 ? `, +${list.length - 3} more` : "");
}

export function evaluate(
  profile: Profile,
  endpoints: Record<EndpointName, EndpointSummary>,
  rpsBetween: RpsBetween,
  /** Why the throughput checks do not apply (the limits scenario caps chats at its rpm). */
  throughputCapped?: string,
): Evaluation {
  const outcomes: ThresholdOutcome[] = [];
  const soft = (verdict: "pass" | "fail"): Verdict =>
    verdict === "fail" && !profile.enforceLatency ? "warn" : verdict;
  const tag = (v: Verdict): string => v.toUpperCase();

  for (const name of MIXES[profile.mix].endpoints) {
    const s = endpoints[name];
    const limits = ENDPOINT_LIMITS[name];
    if (s.count === 0) {
      const verdict: Verdict = s.skipped > 0 ? "skip" : "fail";
      const why =
        s.skipped > 0 ? `all ${s.skipped} requests skipped (${reasons(s.skipReasons)})` : "no request completed";
      outcomes.push({
        subject: name,
        metric: "requests",
        limit: "> 0",
        actual: "0",
        verdict,
        message: `${tag(verdict)} ${name}: ${why}`,
      });
      continue;
    }
    const errVerdict: Verdict = s.errorRate <= limits.maxErrorRate ? "pass" : "fail";
    const errDetail = s.errors > 0 ? ` (${reasons(s.errorReasons)})` : "";
    outcomes.push({
      subject: name,
      metric: "error rate",
      limit: `≤ ${pct(limits.maxErrorRate)}`,
      actual: pct(s.errorRate),
      verdict: errVerdict,
      message:
        errVerdict === "fail"
          ? `FAIL ${name}: ${pct(s.errorRate)} errors, ${s.errors}/${s.count}${errDetail}`
          : `PASS ${name}: ${pct(s.errorRate)} errors (limit ${pct(limits.maxErrorRate)})${errDetail}`,
    });
    const latencyChecks: [string, number | undefined, number | undefined][] = [
      ["p95", limits.p95Ms, s.latency?.p95],
      ["p99", limits.p99Ms, s.latency?.p99],
      ["time to first chunk p95", limits.ttfcP95Ms, s.ttfc?.p95],
    ];
    for (const [metric, limit, actual] of latencyChecks) {
      if (limit === undefined) continue;
      if (actual === undefined) {
        outcomes.push({
          subject: name,
          metric,
          limit: `< ${ms(limit)}`,
          actual: "n/a",
          verdict: "skip",
          message: `SKIP ${name} ${metric}: no successful response`,
        });
        continue;
      }
      const verdict = soft(actual < limit ? "pass" : "fail");
      const note = verdict === "warn" ? ` (not enforced in ${profile.name})` : "";
      outcomes.push({
        subject: name,
        metric,
        limit: `< ${ms(limit)}`,
        actual: ms(actual),
        verdict,
        message: `${tag(verdict)} ${name} ${metric} ${ms(actual)} ${actual < limit ? "<" : "≥"} ${ms(limit)}${note}`,
      });
    }
  }

  // Throughput checks of endpoints the profile's mix does not send are not this run's.
  const sent = new Set<EndpointName>(MIXES[profile.mix].endpoints);
  for (const t of THROUGHPUT_LIMITS.filter((l) => l.endpoints.some((e) => sent.has(e)))) {
    const stage = stageWindow(profile, t.stage);
    const rps = stage && !throughputCapped ? rpsBetween(t.endpoints, stage.fromS, stage.toS) : null;
    if (!stage || rps === null) {
      const why =
        throughputCapped ??
        (stage ? "stage too short to measure" : `the ${profile.name} profile has no "${t.stage}" stage`);
      outcomes.push({
        subject: t.name,
        metric: "req/s",
        limit: `> ${t.minRps}`,
        actual: "n/a",
        verdict: "skip",
        message: `SKIP ${t.name}: ${why}`,
      });
      continue;
    }
    const verdict = soft(rps > t.minRps ? "pass" : "fail");
    const note = verdict === "warn" ? ` (not enforced in ${profile.name})` : "";
    outcomes.push({
      subject: t.name,
      metric: "req/s",
      limit: `> ${t.minRps}`,
      actual: rps.toFixed(1),
      verdict,
      message: `${tag(verdict)} ${t.name}: ${rps.toFixed(1)} req/s ${rps > t.minRps ? ">" : "≤"} ${t.minRps} during "${t.stage}" (${stage.vus} users)${note}`,
    });
  }
  return { outcomes, passed: outcomes.every((o) => o.verdict !== "fail") };
}
