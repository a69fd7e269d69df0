// `npm run bench:stream`: what the router adds to a streamed chat, seen by the client.
// One mock GPU host with a fixed time to first token and delay between tokens is called (a) directly,
// (b) through a bare pass-through Worker (the floor any workerd proxy pays) and (c) through the
// router in workerd (Miniflare, no wrangler proxy hop), with metering to a real
// Postgres (embedded unless DATABASE_URL). Batches alternate between the targets so a slow spell
// on the machine hits all alike. Per concurrency level: time to first chunk, gap between chunks, total
// time; p50/p99 of each, and the router's added cost. Prints a table, saves JSON under bench/results/.
// Knobs (env): BENCH_STREAMS (per target and level, 100), BENCH_CONCURRENCY ("1,16"),
// BENCH_TTFT_MS (50), BENCH_TOKEN_DELAY_MS (10), BENCH_TOKENS (32). Takes about 2 minutes.
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { fileURLToPath } from "node:url";
import { convertV4MiniflareOptions, Log, LogLevel, Miniflare } from "miniflare";
import { freePort } from "../dev/ports";
import { DEMO_MODEL } from "../dev/seed";
import { startLocalStack } from "../dev/stack";
import { cpuMs, workerdChildren } from "./workerd-cpu";

const num = (name: string, fallback: number): number => {
  const v = Number(process.env[name] ?? fallback);
  if (!Number.isFinite(v) || v < 0) throw new Error(`${name} must be a non-negative number`);
  return v;
};
const STREAMS = num("BENCH_STREAMS", 100);
const LEVELS = (process.env.BENCH_CONCURRENCY ?? "1,16")
  .split(",")
  .map(Number)
  .filter((n) => n > 0);
const TTFT_MS = num("BENCH_TTFT_MS", 50);
const TOKEN_DELAY_MS = num("BENCH_TOKEN_DELAY_MS", 10);
const TOKENS = num("BENCH_TOKENS", 32);
const BATCH = 20;
const log = (line: string): void => void process.stderr.write(`${line}\n`);

interface Target {
  name: "direct" | "floor" | "router";
  url: string;
  headers: Record<string, string>;
  /** The workerd process serving it, for CPU time. */
  pid?: number;
}

/** Timings of one stream, in ms from sending the request. */
interface StreamTiming {
  firstChunk: number;
  gaps: number[];
  total: number;
}

interface Samples {
  firstChunk: number[];
  gap: number[];
  total: number[];
  errors: string[];
  /** workerd CPU ms spent while this target's batches ran. */
  cpuMs: number;
}

const body = JSON.stringify({
  model: DEMO_MODEL,
  // The mock echoes the last message in 4-character tokens: this many characters, this many tokens.
  messages: [{ role: "user", content: "abcd".repeat(TOKENS) }],
  max_tokens: TOKENS,
  stream: true,
});

async function oneStream(t: Target): Promise<StreamTiming> {
  const start = performance.now();
  const res = await fetch(t.url, {
    method: "POST",
    headers: { "content-type": "application/json", ...t.headers },
    body,
  });
  if (res.status !== 200 || !res.body) throw new Error(`${t.name}: HTTP ${res.status} ${await res.text()}`);
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let firstChunk = -1;
  let last = 0;
  let text = "";
  const gaps: number[] = [];
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    const now = performance.now() - start;
    text += decoder.decode(value, { stream: true });
    if (firstChunk < 0) firstChunk = now;
    else gaps.push(now - last);
    last = now;
  }
  if (!text.trimEnd().endsWith("data: [DONE]")) throw new Error(`${t.name}: stream did not end with [DONE]`);
  return { firstChunk, gaps, total: performance.now() - start };
}

/** `count` streams at `concurrency`, appended to `into`. */
async function batch(t: Target, count: number, concurrency: number, into: Samples): Promise<void> {
  let left = count;
  const worker = async () => {
    while (left > 0) {
      left -= 1;
      try {
        const s = await oneStream(t);
        into.firstChunk.push(s.firstChunk);
        into.gap.push(...s.gaps);
        into.total.push(s.total);
      } catch (err) {
        into.errors.push(String(err));
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
}

function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

const empty = (): Samples => ({ firstChunk: [], gap: [], total: [], errors: [], cpuMs: 0 });

async function measure(targets: Target[], concurrency: number): Promise<Record<Target["name"], Samples>> {
  const out = { direct: empty(), floor: empty(), router: empty() };
  for (const t of targets) await batch(t, Math.max(concurrency, 10), concurrency, empty()); // warm-up
  for (let done = 0; done < STREAMS; done += BATCH) {
    for (const t of targets) {
      const cpuBefore = cpuMs(t.pid);
      await batch(t, Math.min(BATCH, STREAMS - done), concurrency, out[t.name]);
      // The router's end-of-stream work (lease, outbox, flush) runs after the client is done: let it land.
      if (t.pid !== undefined) await new Promise((r) => setTimeout(r, 250));
      out[t.name].cpuMs += cpuMs(t.pid) - cpuBefore;
    }
  }
  return out;
}

const round = (n: number): number => Math.round(n * 100) / 100;

function table(concurrency: number, s: Record<Target["name"], Samples>) {
  const rows = [];
  for (const [metric, key] of [
    ["time to first chunk", "firstChunk"],
    ["gap between chunks", "gap"],
    ["total time", "total"],
  ] as const) {
    for (const p of [50, 99]) {
      const [direct, floor, router] = [
        percentile(s.direct[key], p),
        percentile(s.floor[key], p),
        percentile(s.router[key], p),
      ];
      rows.push({
        concurrency,
        metric: `${metric} p${p}`,
        "direct ms": round(direct),
        "pass-through ms": round(floor),
        "router ms": round(router),
        "router added ms": round(router - direct),
      });
    }
  }
  // CPU per stream: robust where wall-clock figures are noisy (a shared machine).
  const perStream = (t: Target["name"]) => round(s[t].cpuMs / Math.max(1, s[t].total.length));
  rows.push({
    concurrency,
    metric: "workerd CPU per stream",
    "direct ms": NaN,
    "pass-through ms": perStream("floor"),
    "router ms": perStream("router"),
    "router added ms": round(perStream("router") - perStream("floor")),
  });
  return rows;
}

/** The floor any Worker proxy pays: workerd relaying the host's response untouched, no router logic. */
async function startPassThrough(upstream: string): Promise<{ url: string; dispose(): Promise<void> }> {
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      name: "passthrough",
      modules: true,
      compatibilityDate: "2026-11-01",
      script: `export default {
        fetch(req, env) {
          const u = new URL(req.url);
          return fetch(env.UPSTREAM + u.pathname, { method: req.method, headers: req.headers, body: req.body });
        },
      };`,
      bindings: { UPSTREAM: upstream },
      host: "127.0.0.1",
      port: 0,
      cf: false,
      log: new Log(LogLevel.WARN),
      unsafeDirectSockets: [{ host: "127.0.0.1", port: 0 }],
    }),
  );
  await mf.ready;
  return { url: (await mf.unsafeGetDirectURL("passthrough")).origin, dispose: () => mf.dispose() };
}

async function main(): Promise<void> {
  log("bench:stream: starting database, proxy, router and a mock GPU host…");
  const hostPort = await freePort();
  const stack = await startLocalStack({
    database: {},
    seed: { hosts: [{ port: hostPort, token: "bench-worker-token" }], startHosts: true },
    wsProxy: {},
    router: { runner: "miniflare", onLog: () => {} },
    hostDefaults: { heartbeatMs: 1_000, ttftMs: TTFT_MS, tokenDelayMs: TOKEN_DELAY_MS },
  });
  try {
    const { router, seed, database } = stack;
    const host = stack.hosts[0];
    if (!router || !seed || !database || !host) throw new Error("the stack started without router, seed or host");
    const beforeFloor = workerdChildren();
    const routerPid = [...beforeFloor][0];
    const floor = await startPassThrough(host.url);
    stack.defer("pass-through floor", () => floor.dispose());
    const floorPid = [...workerdChildren()].find((pid) => !beforeFloor.has(pid));

    const targets: Target[] = [
      { name: "direct", url: `${host.url}/v1/chat/completions`, headers: {} },
      { name: "floor", url: `${floor.url}/v1/chat/completions`, headers: {}, pid: floorPid },
      {
        name: "router",
        url: `${router.url}/v1/chat/completions`,
        headers: { authorization: `Bearer ${seed.apiKey}` },
        pid: routerPid,
      },
    ];
    const results = [];
    for (const c of LEVELS) {
      log(`bench:stream: ${STREAMS} streams per target at concurrency ${c}…`);
      const samples = await measure(targets, c);
      for (const t of targets)
        if (samples[t.name].errors.length)
          log(`  ${t.name}: ${samples[t.name].errors.length} errors, e.g. ${samples[t.name].errors[0]}`);
      const errors = Object.fromEntries(targets.map((t) => [t.name, samples[t.name].errors.length]));
      results.push({ concurrency: c, rows: table(c, samples), errors });
    }

    const settings = {
      streams: STREAMS,
      tokens: TOKENS,
      ttftMs: TTFT_MS,
      tokenDelayMs: TOKEN_DELAY_MS,
      embeddedDatabase: database.embedded,
    };
    console.log(
      `\nStreamed chat, ${TOKENS} tokens, host ttft ${TTFT_MS} ms, ${TOKEN_DELAY_MS} ms/token, ${STREAMS} streams per target and level (${cpus().length} CPUs, node ${process.version})`,
    );
    console.table(results.flatMap((r) => r.rows));
    const dir = fileURLToPath(new URL("./results/", import.meta.url));
    mkdirSync(dir, { recursive: true });
    const file = `${dir}stream-${new Date().toISOString().replaceAll(":", "-")}.json`;
    writeFileSync(file, JSON.stringify({ settings, results }, null, 2));
    log(`bench:stream: saved ${file}`);
  } finally {
    await stack.stop();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
