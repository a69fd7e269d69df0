// What a run prints: progress while it runs, then the per-endpoint table and one line per
// threshold, failures last so they are what a CI log ends with.
import { endpointsOf } from "./endpoints";
import type { RunResult } from "./results";
import type { Progress } from "./runner";

const ms = (v: number | undefined): string => (v === undefined ? "-" : v < 100 ? v.toFixed(1) : String(Math.round(v)));

export function progressLine(p: Progress): string {
  const at = `${Math.round(p.elapsedS)}s/${Math.round(p.totalS)}s`.padStart(11);
  return `[${at}] users ${String(p.vus).padStart(3)}  ${p.rps.toFixed(1).padStart(6)} req/s  ${p.errors} errors`;
}

export function summaryTable(r: RunResult): string {
  const head = ["endpoint", "responses", "req/s", "errors", "p50 ms", "p95 ms", "p99 ms", "max ms", "1st chunk p95"];
  const rows = endpointsOf(r).map((n) => {
    const s = r.endpoints[n];
    const count = s.skipped > 0 ? `${s.count} (+${s.skipped} skipped)` : String(s.count);
    return [
      n,
      count,
      s.rps.toFixed(1),
      `${s.errors} (${(s.errorRate * 100).toFixed(2)}%)`,
      ms(s.latency?.p50),
      ms(s.latency?.p95),
      ms(s.latency?.p99),
      ms(s.latency?.max),
      ms(s.ttfc?.p95),
    ];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? "").length)));
  const fmt = (cells: string[]): string =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join("  ");
  return [fmt(head), ...rows.map(fmt)].join("\n");
}

export function thresholdLines(r: RunResult): string {
  const order = { pass: 0, skip: 1, warn: 2, fail: 3 } as const;
  return [...r.thresholds]
    .sort((a, b) => order[a.verdict] - order[b.verdict])
    .map((o) => o.message)
    .join("\n");
}

/** Past this share of the machine used by other processes, figures are flagged as not comparable. */
export const OTHERS_BUSY_PCT = 10;

/** "CPU: …" with a warning when other processes competed with the run; "" without /proc. */
export function machineLine(r: Pick<RunResult, "machine"> & { target?: RunResult["target"] }): string {
  const m = r.machine;
  if (m.machineBusyPct === null || m.ownPct === null || m.othersPct === null) return "";
  // Against an external router, "other processes" include the router under test itself.
  if (r.target && r.target.stackLog === null) {
    return `CPU during the run (${m.cpus} cores): machine ${m.machineBusyPct}% busy — the load generator ${m.ownPct}%, everything else (a local router under test included) ${m.othersPct}%`;
  }
  const roles = m.byRole?.length ? `\n  by process: ${m.byRole.map((r) => `${r.role} ${r.pct}%`).join(", ")}` : "";
  const line = `CPU during the run (${m.cpus} cores): machine ${m.machineBusyPct}% busy — this run's processes ${m.ownPct}%, other processes ${m.othersPct}%${roles}`;
  return m.othersPct > OTHERS_BUSY_PCT
    ? `${line}\nwarning: other processes competed for the CPU; latency and throughput are not comparable with a quiet machine`
    : line;
}
