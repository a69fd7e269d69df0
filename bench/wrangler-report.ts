// What `npm run bench:wrangler` prints and saves: the open-loop figures, one line per target check
// with its margin, and the JSON under bench/results/.
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { join } from "node:path";
import type { CpuShare } from "../load/machine";
import type { LatencySummary } from "../load/metrics";
import type { OpenLoopOptions, OpenLoopResult } from "./open-loop";

/** The issue's target for `wrangler dev`'s stack; fixed here, whatever BENCH_RATE offers. */
export const TARGET = { rps: 150, p95Ms: 300, errors: 0 } as const;

export interface Check {
  name: string;
  pass: boolean;
  line: string;
}

const ms = (v: number | undefined): string => (v === undefined ? "-" : v < 100 ? v.toFixed(1) : v.toFixed(0));
const rps = (v: number | null): string => (v === null ? "n/a" : v.toFixed(1));

export function checks(r: OpenLoopResult): Check[] {
  // Compared at the table's resolution (0.1 req/s): a router that keeps up answers at the offered pace.
  const achieved = r.achievedRate === null ? null : Math.round(r.achievedRate * 10) / 10;
  const p95 = r.latency?.p95;
  const by = (x: number, limit: number, unit: string): string =>
    `${x >= limit ? "+" : ""}${(x - limit).toFixed(1)} ${unit}, ${(x / limit).toFixed(2)}× the limit`;
  return [
    {
      name: "throughput",
      pass: achieved !== null && achieved >= TARGET.rps,
      line: `achieved ≥ ${TARGET.rps} req/s: ${rps(achieved)}${achieved !== null && achieved < TARGET.rps ? ` (${by(achieved, TARGET.rps, "req/s")})` : ""}`,
    },
    {
      name: "latency",
      pass: p95 !== undefined && p95 < TARGET.p95Ms,
      line: `p95 < ${TARGET.p95Ms} ms: ${ms(p95)} ms${p95 !== undefined && p95 >= TARGET.p95Ms ? ` (${by(p95, TARGET.p95Ms, "ms")})` : ""}`,
    },
    {
      name: "errors",
      pass: r.errors === TARGET.errors,
      line: `errors ${TARGET.errors}: ${r.errors} of ${r.sent}${r.errors ? ` (${((100 * r.errors) / r.sent).toFixed(2)} %)` : ""}`,
    },
  ];
}

export function table(o: OpenLoopOptions, r: OpenLoopResult): string {
  const head = ["requests", "sent", "ok", "errors", "req/s", "p50 ms", "p95 ms", "p99 ms", "max ms", "1st chunk p95"];
  const row = (name: string, sent: number, ok: number, rate: string, l: LatencySummary | null, ttfc?: number) => [
    name,
    String(sent),
    String(ok),
    String(sent - ok),
    rate,
    ms(l?.p50),
    ms(l?.p95),
    ms(l?.p99),
    ms(l?.max),
    ms(ttfc),
  ];
  const { chat, chat_stream: stream } = r.kinds;
  const rows = [
    row("chat (JSON)", chat.count, chat.ok, (chat.count / o.seconds).toFixed(1), chat.latency),
    row(
      "chat (stream)",
      stream.count,
      stream.ok,
      (stream.count / o.seconds).toFixed(1),
      stream.latency,
      stream.ttfc?.p95,
    ),
    row("all chats", r.sent, r.ok, rps(r.sent / o.seconds), r.latency),
  ];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((c) => (c[i] ?? "").length)));
  const fmt = (cells: string[]): string =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join("  ");
  const reasons = r.errorReasons.map((e) => `${e.count} × ${e.reason}`).join(", ") || "none";
  return [
    `offered rate        ${o.rate.toFixed(1)} req/s, open loop (${r.sent} chats due in ${o.seconds} s after a ${o.warmupS} s warm-up; ${Math.round(o.streamShare * 100)} % streamed; max_tokens 16)`,
    `achieved rate       ${rps(r.achievedRate)} req/s answered right (pace of completions)`,
    `generator lag       p99 ${ms(r.sendLag?.p99)} ms, max ${ms(r.sendLag?.max)} ms behind schedule; at most ${r.maxInFlight} in flight`,
    `errors by reason    ${reasons}`,
    "",
    fmt(head),
    ...rows.map(fmt),
    "",
    "latency: from each request's due time to its whole answer (a stream's [DONE]); successful answers only",
  ].join("\n");
}

export interface Saved {
  startedAt: string;
  stack: string;
  stackLog: string;
  options: OpenLoopOptions;
  result: OpenLoopResult;
  checks: Check[];
  machine: CpuShare;
  loadAverage: { start: number[]; end: number[] };
}

export function save(dir: string, s: Saved): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `wrangler-${s.startedAt.replace(/[:.]/g, "-")}.json`);
  const body = {
    schema: "inventiv-wrangler-bench/1",
    ...s,
    target: TARGET,
    passed: s.checks.every((c) => c.pass),
    machine: { ...s.machine, cpuModel: cpus()[0]?.model ?? "unknown", node: process.version },
  };
  writeFileSync(file, JSON.stringify(body, null, 2));
  return file;
}
