// The HTML report: verdict first, then the thresholds, the per-endpoint table and the charts
// (users and requests/s, latency percentiles per endpoint, errors). One file, nothing fetched.

import { machineLine } from "../console";
import { ENDPOINT_NAMES, ENDPOINTS, type EndpointName, endpointsOf } from "../endpoints";
import type { LatencySummary } from "../metrics";
import type { RunResult } from "../results";
import { ENDPOINT_LIMITS } from "../thresholds";
import { type Band, chart, esc, fmtTime, type Limit, type Series } from "./svg";

const VERDICT_COLORS = { pass: "#16a34a", fail: "#dc2626", warn: "#d97706", skip: "#64748b" } as const;

const ms = (v: number | undefined): string =>
  v === undefined ? "–" : v < 10 ? v.toFixed(2) : v < 100 ? v.toFixed(1) : String(Math.round(v));

function bands(r: RunResult): Band[] {
  let at = 0;
  return r.stages.map((s, i) => {
    const prev = i === 0 ? 0 : (r.stages[i - 1]?.target ?? 0);
    const label = s.label ?? (s.target === prev ? `hold ${s.target}` : `${prev}→${s.target} users`);
    const band = { fromS: at, toS: at + s.durationS, label };
    at += s.durationS;
    return band;
  });
}

function throughputChart(r: RunResult): string {
  const tl = r.timeline;
  const perS = (v: number): number => v / tl.windowS;
  const active = ENDPOINT_NAMES.filter((n) => r.endpoints[n].count > 0);
  const total = tl.t.map((_, i) => active.reduce((sum, n) => sum + perS(tl.endpoints[n].count[i] ?? 0), 0));
  const series: Series[] = [
    { name: "all", color: "#0f172a", values: total },
    ...active.map((n) => ({ name: n, color: ENDPOINTS[n].color, values: tl.endpoints[n].count.map(perS) })),
    { name: "virtual users", color: "#f43f5e", values: tl.vus, dash: "4 3", right: true },
  ];
  return chart({
    title: "Requests per second (responses completed) and virtual users",
    x: tl.t,
    stepS: tl.windowS,
    series,
    kind: "lines",
    unit: "req/s",
    rightUnit: "virtual users",
    bands: bands(r),
  });
}

function latencyChart(r: RunResult, name: EndpointName): string {
  const s = r.timeline.endpoints[name];
  const limits = ENDPOINT_LIMITS[name];
  const lim: Limit[] = [];
  if (limits.p95Ms !== undefined)
    lim.push({ value: limits.p95Ms, label: `p95 limit ${limits.p95Ms} ms`, color: "#f59e0b" });
  if (limits.p99Ms !== undefined)
    lim.push({ value: limits.p99Ms, label: `p99 limit ${limits.p99Ms} ms`, color: "#dc2626" });
  const series: Series[] = [
    { name: "p50", color: "#2563eb", values: s.p50 },
    { name: "p95", color: "#f59e0b", values: s.p95 },
    { name: "p99", color: "#dc2626", values: s.p99 },
  ];
  if (name === "chat_stream")
    series.push({ name: "first chunk p95", color: "#7c3aed", values: s.ttfcP95, dash: "5 3" });
  return chart({
    title: `${name} latency`,
    x: r.timeline.t,
    stepS: r.timeline.windowS,
    series,
    kind: "lines",
    unit: "ms",
    limits: lim,
    bands: bands(r),
    width: 640,
    height: 260,
  });
}

function errorsChart(r: RunResult): string {
  const tl = r.timeline;
  const series: Series[] = endpointsOf(r).map((n) => ({
    name: n,
    color: ENDPOINTS[n].color,
    values: tl.endpoints[n].errors.map((v) => v / tl.windowS),
  }));
  const total = r.totals.errors;
  const title = total === 0 ? "Errors per second — none during the run" : `Errors per second — ${total} in total`;
  return chart({
    title,
    x: tl.t,
    stepS: tl.windowS,
    series,
    kind: "stacked-bars",
    unit: "errors/s",
    bands: bands(r),
    height: 220,
  });
}

function thresholdRows(r: RunResult): string {
  return r.thresholds
    .map((o) => {
      const c = VERDICT_COLORS[o.verdict];
      return `<tr><td><span class="pill" style="background:${c}">${o.verdict.toUpperCase()}</span></td><td>${esc(o.subject)}</td><td>${esc(o.metric)}</td><td class="num">${esc(o.actual)}</td><td class="num">${esc(o.limit)}</td><td class="msg">${esc(o.message)}</td></tr>`;
    })
    .join("\n");
}

function latencyCells(l: LatencySummary | null): string {
  return [l?.p50, l?.p95, l?.p99, l?.max].map((v) => `<td class="num">${ms(v)}</td>`).join("");
}

function endpointRows(r: RunResult): string {
  return endpointsOf(r)
    .map((n) => {
      const s = r.endpoints[n];
      const errClass = s.errors > 0 ? ' class="num bad"' : ' class="num"';
      const skipped = s.skipped > 0 ? ` <span class="muted">(+${s.skipped} skipped)</span>` : "";
      return `<tr><td><span class="dot" style="background:${ENDPOINTS[n].color}"></span>${n}</td><td class="muted">${esc(s.request)}</td><td class="num">${s.count}${skipped}</td><td class="num">${s.rps.toFixed(1)}</td><td${errClass}>${s.errors} (${(s.errorRate * 100).toFixed(2)}%)</td>${latencyCells(s.latency)}<td class="num">${ms(s.ttfc?.p50)}</td><td class="num">${ms(s.ttfc?.p95)}</td></tr>`;
    })
    .join("\n");
}

function reasonRows(r: RunResult): string {
  const rows = endpointsOf(r).flatMap((n) => [
    ...r.endpoints[n].errorReasons.map(
      (e) => `<tr><td>${n}</td><td>error</td><td>${esc(e.reason)}</td><td class="num">${e.count}</td></tr>`,
    ),
    ...r.endpoints[n].skipReasons.map(
      (e) => `<tr><td>${n}</td><td>skipped</td><td>${esc(e.reason)}</td><td class="num">${e.count}</td></tr>`,
    ),
  ]);
  return rows.length === 0
    ? ""
    : `<h2>Errors and skips by reason</h2><table><tr><th>endpoint</th><th>kind</th><th>reason</th><th class="num">count</th></tr>${rows.join("\n")}</table>`;
}

const CSS = `
body{font-family:system-ui,sans-serif;margin:24px auto;max-width:1320px;color:#0f172a;padding:0 16px}
h1{margin:0 0 4px;font-size:24px} h2{font-size:18px;margin:28px 0 8px}
.verdict{display:inline-block;color:#fff;border-radius:6px;padding:4px 12px;font-weight:700;margin-left:8px;font-size:18px;vertical-align:middle}
.meta{color:#475569;margin:4px 0 12px;line-height:1.5}
.cards{display:flex;gap:12px;flex-wrap:wrap;margin:12px 0}
.card{border:1px solid #e2e8f0;border-radius:8px;padding:10px 16px;min-width:140px}
.card b{display:block;font-size:22px} .card span{color:#64748b;font-size:12px}
table{border-collapse:collapse;width:100%;font-size:13px} th,td{padding:5px 8px;border-bottom:1px solid #e2e8f0;text-align:left}
th{background:#f8fafc;font-weight:600} .num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap} .bad{color:#dc2626;font-weight:600}
.muted{color:#64748b} .msg{color:#334155;font-family:ui-monospace,monospace;font-size:12px}
.pill{color:#fff;border-radius:4px;padding:1px 6px;font-size:11px;font-weight:700}
.dot{display:inline-block;width:10px;height:10px;border-radius:50%;margin-right:6px}
.grid{display:grid;grid-template-columns:1fr 1fr;gap:8px 16px}
.chart{border:1px solid #e2e8f0;border-radius:8px;padding:6px;margin:8px 0;background:#fff}
`;

function cpuNote(r: RunResult): string {
  // Older results have no machine figures.
  const line = r.machine ? machineLine(r) : "";
  if (!line) return "";
  const [figures = "", warning] = line.split("\n");
  return `${esc(figures)}${warning ? ` <b style="color:${VERDICT_COLORS.warn}">${esc(warning)}</b>` : ""}<br>`;
}

/** The limits scenario's figures (load/limits.ts), when the run had it. */
function limitsSection(r: RunResult): string {
  const l = r.limits;
  if (!l) return "";
  return `<h2>Limits: one key at ${l.rpm} requests per minute</h2>
<div class="cards">
<div class="card"><b>${l.served}</b><span>chats served</span></div>
<div class="card"><b>${l.refused}</b><span>refused (429 rate_limit_exceeded)</span></div>
<div class="card"><b style="color:${l.serverErrors > 0 ? VERDICT_COLORS.fail : "inherit"}">${l.serverErrors}</b><span>5xx</span></div>
<div class="card"><b>${l.busiestMinute}</b><span>served in the busiest 60 s (${(l.busiestShare * 100).toFixed(1)} % of the limit)</span></div>
</div>
<div class="meta">Key ${esc(l.keyId)}. Minutes are sliding, by the time each chat was sent; the limit holds when no 60 s served more than 1 % over it.</div>`;
}

export function renderReport(r: RunResult): string {
  const verdict = r.passed ? "PASS" : "FAIL";
  const color = r.passed ? VERDICT_COLORS.pass : VERDICT_COLORS.fail;
  const latencyCharts = ENDPOINT_NAMES.filter((n) => r.endpoints[n].count > 0)
    .map((n) => `<div class="chart">${latencyChart(r, n)}</div>`)
    .join("\n");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Load test ${esc(r.profile)} ${esc(r.startedAt)} — ${verdict}</title><style>${CSS}</style></head>
<body>
<h1>Load test: ${esc(r.profile)} <span class="verdict" style="background:${color}">${verdict}</span></h1>
<div class="meta">${esc(r.description)}<br>Target ${esc(r.target.baseUrl)} · model ${esc(r.target.model)} · ${esc(r.target.stack)}<br>
${cpuNote(r)}Started ${esc(r.startedAt)} · ran ${fmtTime(r.durationS)} · think time ${r.settings.thinkMs[0]}–${r.settings.thinkMs[1]} ms · ${Math.round(r.settings.streamShare * 100)}% of chats streamed, ${Math.round(r.settings.sessionShare * 100)}% in sessions · max_tokens ${r.settings.maxTokens}</div>
<div class="cards">
<div class="card"><b>${r.totals.requests}</b><span>requests</span></div>
<div class="card"><b>${r.totals.rps.toFixed(1)}</b><span>req/s over the run</span></div>
<div class="card"><b style="color:${r.totals.errors > 0 ? VERDICT_COLORS.fail : "inherit"}">${r.totals.errors}</b><span>errors</span></div>
<div class="card"><b>${Math.max(0, ...r.timeline.vus)}</b><span>peak virtual users</span></div>
<div class="card"><b>${ms(r.endpoints.chat.latency?.p95)} ms</b><span>chat p95</span></div>
<div class="card"><b>${ms(r.endpoints.chat_stream.ttfc?.p95)} ms</b><span>stream first chunk p95</span></div>
</div>
<h2>Thresholds</h2>
<table><tr><th></th><th>subject</th><th>metric</th><th class="num">actual</th><th class="num">limit</th><th>detail</th></tr>
${thresholdRows(r)}</table>
${limitsSection(r)}
<h2>Per endpoint (latency in ms, successful responses)</h2>
<table><tr><th>endpoint</th><th>request</th><th class="num">responses</th><th class="num">req/s</th><th class="num">errors</th><th class="num">p50</th><th class="num">p95</th><th class="num">p99</th><th class="num">max</th><th class="num">1st chunk p50</th><th class="num">1st chunk p95</th></tr>
${endpointRows(r)}</table>
<h2>Throughput</h2>
<div class="chart">${throughputChart(r)}</div>
<h2>Latency percentiles over time (${r.timeline.windowS} s windows)</h2>
<div class="grid">${latencyCharts}</div>
<h2>Errors</h2>
<div class="chart">${errorsChart(r)}</div>
${reasonRows(r)}
</body></html>
`;
}
