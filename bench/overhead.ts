// `npm run bench`: what the router costs over calling a GPU host directly. One zero-delay mock host,
// called (a) directly, (b) through a pass-through Worker in workerd (the floor any workerd proxy
// pays), (c) through the router with auth, model resolution, Durable Object selection and metering,
// and (d) the same with a key that has limits (never reached): one LimiterObject call before the host
// and its settlement after. Streams are also called through (e) the pass-through relaying the body
// through JS, a read and a write per chunk: what any relay that must see the bytes pays, before parsing them.
// Both Workers run in workerd via Miniflare (no `wrangler dev` proxy hop). Targets are interleaved
// (a b c a b c …) over several rounds and each figure is the median of the rounds, so a slow spell
// on a busy machine hits all three alike. Prints a table, saves JSON under bench/results/.
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { machineLine } from "../load/console";
import { HttpClient } from "../load/http";
import { createLimitedKey } from "../load/limits";
import { CpuMeter } from "../load/machine";
import { spawnStack } from "../load/stack-process";
import {
  chatBody,
  median,
  sequential,
  streamFirstChunk,
  streamThroughput,
  type Target,
  throughput,
} from "./overhead-probes";
import { cpuMs, workerdListeningOn } from "./workerd-cpu";

const num = (name: string, fallback: number): number => {
  const v = Number(process.env[name] ?? fallback);
  if (!Number.isFinite(v) || v <= 0) throw new Error(`${name} must be a positive number`);
  return v;
};
const ROUNDS = num("BENCH_ROUNDS", 5);
const SEQUENTIAL = num("BENCH_SEQUENTIAL", 300);
const STREAMS = num("BENCH_STREAMS", 100);
const THROUGHPUT_MS = num("BENCH_THROUGHPUT_MS", 3000);

type FigureKey = "seqP50" | "seqP99" | "rps32" | "rps64" | "cpu32" | "sps32" | "ttfcP50";
const FIGURES: { key: FigureKey; label: string; unit: "ms" | "req/s" }[] = [
  { key: "seqP50", label: "sequential latency p50", unit: "ms" },
  { key: "seqP99", label: "sequential latency p99", unit: "ms" },
  { key: "rps32", label: "throughput @ concurrency 32", unit: "req/s" },
  { key: "rps64", label: "throughput @ concurrency 64", unit: "req/s" },
  { key: "cpu32", label: "workerd CPU per request @ 32", unit: "ms" },
  { key: "sps32", label: "stream throughput @ 32", unit: "req/s" },
  { key: "ttfcP50", label: "stream first chunk p50", unit: "ms" },
];
type Figures = Record<FigureKey, number>;

/** (d)'s limits, the admin API's form; BENCH_LIMITS (JSON) measures another set, e.g. '{"rpm":1000000}'. */
const LIMITS: Record<string, unknown> = process.env.BENCH_LIMITS
  ? (JSON.parse(process.env.BENCH_LIMITS) as Record<string, unknown>)
  : { rpm: 1_000_000, tpm: 1_000_000_000, max_concurrent: 100_000, budget: { amount: "1000000", period: "day" } };

const RESULTS = fileURLToPath(new URL("./results/", import.meta.url));
const PASSTHROUGH = fileURLToPath(new URL("./passthrough/wrangler.toml", import.meta.url));
const log = (line: string): void => void process.stderr.write(`${line}\n`);

/** One round: every probe runs against a, b, c in turn before the next probe starts. */
async function round(
  targets: Target[],
  model: string,
  errors: Map<string, string[]>,
): Promise<Record<Target["key"], Figures>> {
  const out = Object.fromEntries(targets.map((t) => [t.key, {} as Figures])) as Record<Target["key"], Figures>;
  const json = chatBody(model, false);
  const note = (t: Target, errs: string[]): void => void errors.get(t.key)?.push(...errs);
  // The JS relay (e) differs from the pass-through (b) only in how a body passes: it runs the stream probes.
  const jsonTargets = targets.filter((t) => t.key !== "e");
  for (const t of targets) for (const { key } of FIGURES) out[t.key][key] = Number.NaN;
  for (const t of jsonTargets) {
    const r = await sequential(t, json, SEQUENTIAL);
    out[t.key].seqP50 = r.p50;
    out[t.key].seqP99 = r.p99;
    note(t, r.errors);
  }
  for (const c of [32, 64] as const) {
    for (const t of jsonTargets) {
      const cpuBefore = cpuMs(t.pid);
      const r = await throughput(t, json, c, THROUGHPUT_MS);
      out[t.key][c === 32 ? "rps32" : "rps64"] = r.rps;
      // workerd's own CPU (user + system) over the run, per answer: noise-resistant on a busy machine.
      if (c === 32) out[t.key].cpu32 = (cpuMs(t.pid) - cpuBefore) / Math.max(1, r.ok);
      note(t, r.errors);
    }
  }
  for (const t of targets) {
    const r = await streamThroughput(t, chatBody(model, true), 32, THROUGHPUT_MS);
    out[t.key].sps32 = r.rps;
    note(t, r.errors);
  }
  for (const t of targets) {
    const r = await streamFirstChunk(t, chatBody(model, true), STREAMS);
    out[t.key].ttfcP50 = r.p50;
    note(t, r.errors);
  }
  return out;
}

const fmt = (v: number, unit: "ms" | "req/s"): string =>
  Number.isNaN(v) ? "n/a" : unit === "ms" ? v.toFixed(2) : v.toFixed(0);
const ratio = (x: number, y: number): string => (y > 0 && Number.isFinite(x) ? `${(x / y).toFixed(2)}×` : "n/a");

function table(med: Record<Target["key"], Figures>): string {
  const head = [
    "figure (median of rounds)",
    "unit",
    "a direct",
    "b passthrough",
    "c router",
    "d limited key",
    "e JS relay",
    "b/a",
    "c/a",
    "c/b",
    "c/e",
    "c−b",
    "d−c",
  ];
  const signed = (v: number, unit: "ms" | "req/s"): string => `${v >= 0 ? "+" : ""}${fmt(v, unit)}`;
  const rows = FIGURES.map(({ key, label, unit }) => {
    const [a, b, c, d, e] = [med.a[key], med.b[key], med.c[key], med.d[key], med.e[key]];
    return [
      label,
      unit,
      fmt(a, unit),
      fmt(b, unit),
      fmt(c, unit),
      fmt(d, unit),
      fmt(e, unit),
      ratio(b, a),
      ratio(c, a),
      ratio(c, b),
      ratio(c, e),
      signed(c - b, unit),
      signed(d - c, unit),
    ];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]): string =>
    cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join("  ");
  return [line(head), ...rows.map(line)].join("\n");
}

async function main(): Promise<void> {
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  const loadAtStart = loadavg();
  const logFile = join(RESULTS, `stack-${stamp}.log`);
  log(
    `bench: starting the mock host, the pass-through worker and the router (log: ${relative(process.cwd(), logFile)})`,
  );
  const stack = await spawnStack(
    {
      hosts: 1,
      hostStatus: "ready",
      tokenDelayMs: 0,
      ttftMs: 0,
      passthroughConfig: PASSTHROUGH,
      routerRef: process.env.LOAD_ROUTER_REF || undefined,
    },
    logFile,
  );
  const host = stack.hostUrls[0];
  if (!host || !stack.passthroughUrl) throw new Error("the stack did not start a host and a pass-through worker");
  const client = (url: string): HttpClient => new HttpClient(url, stack.apiKey, 30_000);
  const pidOf = (url: string): number | undefined => workerdListeningOn(Number(new URL(url).port));
  const targets: Target[] = [
    { key: "a", name: `direct ${host}`, client: client(host) },
    {
      key: "b",
      name: `pass-through worker ${stack.passthroughUrl}`,
      client: client(stack.passthroughUrl),
      pid: pidOf(stack.passthroughUrl),
    },
    { key: "c", name: `router ${stack.baseUrl}`, client: client(stack.baseUrl), pid: pidOf(stack.baseUrl) },
  ];
  // Limits far above what the bench sends: every request pays admission and settlement, none is refused.
  const admin = client(stack.baseUrl);
  const limited = await createLimitedKey(admin, LIMITS).finally(() => admin.destroy());
  targets.push({
    key: "d",
    name: `router, a key with limits ${JSON.stringify(LIMITS)}`,
    client: new HttpClient(stack.baseUrl, limited.key, 30_000),
    pid: pidOf(stack.baseUrl),
  });
  targets.push({
    key: "e",
    name: `pass-through worker relaying bodies through JS (${stack.passthroughUrl}, x-bench-relay: js)`,
    client: new HttpClient(stack.passthroughUrl, stack.apiKey, 30_000, { "x-bench-relay": "js" }),
    pid: pidOf(stack.passthroughUrl),
  });
  const errors = new Map<string, string[]>(targets.map((t) => [t.key, []]));
  try {
    log("bench: warm-up (connections, JIT, the router's auth and catalog memos)");
    const json = chatBody(stack.model, false);
    for (const t of targets) {
      await sequential(t, json, 100);
      await throughput(t, json, 32, 1000);
      await streamFirstChunk(t, chatBody(stack.model, true), 20);
    }
    const cpu = new CpuMeter();
    const rounds: Record<Target["key"], Figures>[] = [];
    for (let r = 1; r <= ROUNDS; r++) {
      const started = Date.now();
      rounds.push(await round(targets, stack.model, errors));
      const last = rounds[rounds.length - 1];
      log(
        `bench: round ${r}/${ROUNDS} in ${((Date.now() - started) / 1000).toFixed(0)} s — p50 a ${last?.a.seqP50.toFixed(2)} b ${last?.b.seqP50.toFixed(2)} c ${last?.c.seqP50.toFixed(2)} d ${last?.d.seqP50.toFixed(2)} ms`,
      );
    }
    const machine = cpu.stop();
    const med = Object.fromEntries(
      targets.map((t) => [
        t.key,
        Object.fromEntries(FIGURES.map(({ key }) => [key, median(rounds.map((r) => r[t.key][key]))])) as Figures,
      ]),
    ) as Record<Target["key"], Figures>;

    console.log(`\n${stack.description}\n${targets.map((t) => `(${t.key}) ${t.name}`).join("\n")}\n`);
    console.log(table(med));
    for (const t of targets) {
      const errs = errors.get(t.key) ?? [];
      if (errs.length > 0)
        console.log(`\n${t.key}: ${errs.length} failed request(s), e.g. ${[...new Set(errs)].slice(0, 3).join("; ")}`);
    }
    const load = (l: number[]): string => l.map((x) => x.toFixed(2)).join(", ");
    console.log(`\nload average (1, 5, 15 min): ${load(loadAtStart)} at the start, ${load(loadavg())} at the end`);
    const busy = machineLine({ machine });
    if (busy) console.log(`\n${busy}`);
    mkdirSync(RESULTS, { recursive: true });
    const file = join(RESULTS, `overhead-${stamp}.json`);
    const settings = {
      rounds: ROUNDS,
      sequential: SEQUENTIAL,
      streams: STREAMS,
      throughputMs: THROUGHPUT_MS,
      maxTokens: 16,
    };
    const errorCounts = Object.fromEntries([...errors].map(([k, v]) => [k, v.length]));
    writeFileSync(
      file,
      JSON.stringify(
        {
          schema: "inventiv-overhead-bench/1",
          startedAt: stamp,
          targets: targets.map(({ key, name }) => ({ key, name })),
          settings,
          machine: { ...machine, cpuModel: cpus()[0]?.model ?? "unknown", node: process.version },
          medians: med,
          rounds,
          errors: errorCounts,
        },
        null,
        2,
      ),
    );
    console.log(`\nsaved: ${relative(process.cwd(), file)}`);
  } finally {
    await Promise.all(targets.map((t) => t.client.destroy().catch(() => {})));
    await stack.stop();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(`error: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
