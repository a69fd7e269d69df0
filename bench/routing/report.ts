// The routing benchmark's HTML report, in the style of the load reports (load/report): per scenario, the
// targets, the policies' table, and p99 end to end and mean time to first token over the run, per policy.
import { chart, esc, type Series } from "../../load/report/svg";
import { POLICY_NAMES, type PolicyName } from "./policies";
import type { ScenarioResult } from "./run";

const COLORS: Record<PolicyName, string> = {
  round_robin: "#94a3b8",
  random: "#f59e0b",
  least_loaded_v1: "#dc2626",
  router: "#2563eb",
  router_undeclared: "#7c3aed",
  oracle: "#16a34a",
};

const CSS = `
body{font-family:system-ui,sans-serif;margin:24px auto;max-width:1320px;color:#0f172a;padding:0 16px}
h1{margin:0 0 4px;font-size:24px} h2{font-size:18px;margin:28px 0 8px}
.meta{color:#475569;margin:4px 0 12px;line-height:1.5}
table{border-collapse:collapse;width:100%;font-size:13px} th,td{padding:5px 8px;border-bottom:1px solid #e2e8f0;text-align:left}
th{background:#f8fafc;font-weight:600} .num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.pill{color:#fff;border-radius:4px;padding:1px 6px;font-size:11px;font-weight:700}
.dot{display:inline-block;width:10px;height:10px;border-radius:50%;margin-right:6px}
.chart{border:1px solid #e2e8f0;border-radius:8px;padding:6px;margin:8px 0;background:#fff}
`;

const ms = (v: number): string => (v >= 10_000 ? `${(v / 1000).toFixed(1)} s` : `${Math.round(v)} ms`);

function policyRows(r: ScenarioResult): string {
  return POLICY_NAMES.map((n) => {
    const p = r.policies[n];
    return `<tr><td><span class="dot" style="background:${COLORS[n]}"></span>${n}</td><td class="num">${ms(p.mean_e2e_ms)}</td><td class="num">${ms(p.p99_e2e_ms)}</td><td class="num">${ms(p.mean_ttft_ms)}</td><td class="num">${ms(p.p99_ttft_ms)}</td><td class="num">${p.max_burst_share.toFixed(2)}</td><td class="num">${p.affinity_kept.toFixed(3)}</td><td class="num">${p.repins}</td></tr>`;
  }).join("\n");
}

function targetRows(r: ScenarioResult): string {
  return r.targets
    .map(
      (t) =>
        `<tr><td><span class="pill" style="background:${t.pass ? "#16a34a" : "#dc2626"}">${t.pass ? "PASS" : "FAIL"}</span></td><td>${esc(t.name)}</td><td class="num">${esc(t.actual)}</td><td class="num">${esc(t.limit)}</td></tr>`,
    )
    .join("\n");
}

function overTime(r: ScenarioResult, title: string, unit: string, pick: "p99E2eMs" | "meanTtftMs"): string {
  const first = r.timelines.router;
  const series: Series[] = POLICY_NAMES.map((n) => ({
    name: n,
    color: COLORS[n],
    values: r.timelines[n][pick].map((v) => (v === null ? null : v / 1000)),
    ...(n === "oracle" ? { dash: "5 3" } : {}),
  }));
  return chart({ title, x: first.t, stepS: first.windowS, series, kind: "lines", unit, height: 280 });
}

function scenario(r: ScenarioResult): string {
  const hosts = r.hosts.map((h) => `${h.id} (${h.slots} slots, ${h.tokensPerSecond} tok/s)`).join(", ");
  return `<h2>${esc(r.name)}</h2>
<div class="meta">${esc(r.description)} · ${r.requests} requests on one trace · hosts: ${esc(hosts)}</div>
<table><tr><th></th><th>target (router, same trace)</th><th class="num">actual</th><th class="num">limit</th></tr>${targetRows(r)}</table>
<table style="margin-top:12px"><tr><th>policy</th><th class="num">mean e2e</th><th class="num">p99 e2e</th><th class="num">mean TTFT</th><th class="num">p99 TTFT</th><th class="num">max burst share</th><th class="num">affinity kept</th><th class="num">re-pins</th></tr>
${policyRows(r)}</table>
<div class="chart">${overTime(r, "p99 end to end per 5 s of arrivals", "seconds", "p99E2eMs")}</div>
<div class="chart">${overTime(r, "Mean time to first token per 5 s of arrivals", "seconds", "meanTtftMs")}</div>`;
}

export function renderRoutingReport(results: readonly ScenarioResult[], startedAt: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Routing benchmark ${esc(startedAt)}</title><style>${CSS}</style></head>
<body>
<h1>Routing benchmark</h1>
<div class="meta">Simulation, seeded: every policy replays the same arrival trace. Started ${esc(startedAt)}. Burst share: the busiest host's share of the fleet's backlog as a burst ends, over its share of the fleet's throughput.</div>
${results.map(scenario).join("\n")}
</body></html>
`;
}
