// Runs every scenario against every policy on the same trace and checks the targets.
import { type PolicySummary, summarize, type Timeline, timeline } from "./metrics";
import { POLICY_NAMES, type PolicyName } from "./policies";
import { fairShares, type Scenario } from "./scenario";
import { simulate } from "./simulate";
import { buildTrace } from "./trace";

export interface ScenarioResult {
  name: string;
  description: string;
  hosts: Scenario["hosts"];
  requests: number;
  policies: Record<PolicyName, PolicySummary>;
  timelines: Record<PolicyName, Timeline>;
  targets: Target[];
}

export interface Target {
  name: string;
  actual: string;
  limit: string;
  pass: boolean;
}

export function runScenario(s: Scenario): ScenarioResult {
  const trace = buildTrace(s.traffic, s.seed);
  const fair = fairShares(s.hosts);
  const ids = s.hosts.map((h) => h.id);
  const policies = {} as Record<PolicyName, PolicySummary>;
  const timelines = {} as Record<PolicyName, Timeline>;
  for (const name of POLICY_NAMES) {
    const run = simulate(s, trace, name);
    policies[name] = summarize(run, ids, fair);
    timelines[name] = timeline(run.outcomes, s.traffic.durationS, 5);
  }
  return {
    name: s.name,
    description: s.description,
    hosts: s.hosts,
    requests: trace.length,
    policies,
    timelines,
    targets: targets(policies, s.heterogeneous),
  };
}

function targets(p: Record<PolicyName, PolicySummary>, heterogeneous: boolean): Target[] {
  const { router, oracle, round_robin } = p;
  const pct = (v: number) => `${(v * 100).toFixed(1)} %`;
  const overOracle = (a: number, b: number) => a / b - 1;
  const gain = 1 - router.p99_e2e_ms / round_robin.p99_e2e_ms;
  return [
    {
      name: "mean e2e vs oracle",
      actual: pct(overOracle(router.mean_e2e_ms, oracle.mean_e2e_ms)),
      limit: "≤ 10 %",
      pass: overOracle(router.mean_e2e_ms, oracle.mean_e2e_ms) <= 0.1,
    },
    {
      name: "p99 e2e vs oracle",
      actual: pct(overOracle(router.p99_e2e_ms, oracle.p99_e2e_ms)),
      limit: "≤ 10 %",
      pass: overOracle(router.p99_e2e_ms, oracle.p99_e2e_ms) <= 0.1,
    },
    ...(heterogeneous
      ? [{ name: "p99 e2e better than round robin", actual: pct(gain), limit: "≥ 30 %", pass: gain >= 0.3 }]
      : []),
    {
      // A kept pin is the rule: a session moves only off a saturated host or one beyond its bound (`overloaded`).
      name: "sessions moved for no other reason",
      actual: JSON.stringify(router.repin_reasons),
      limit: "only overloaded",
      pass: Object.keys(router.repin_reasons).every((r) => r === "overloaded"),
    },
    {
      name: "busiest host's burst share / fair share",
      actual: router.max_burst_share.toFixed(2),
      limit: "≤ 1.5",
      pass: router.max_burst_share <= 1.5,
    },
  ];
}
