// `npm run bench:wrangler`: does `wrangler dev`'s stack sustain the issue's target (≥ 150 req/s of
// chat at p95 < 300 ms, no errors)? It brings up what `npm start` runs — database, migrations,
// demo seed, the Neon-style ws proxy, the router under `wrangler dev` — from the same modules, but
// with two zero-delay mock hosts, on free ports, in child processes whose output goes to a log
// under bench/results/. Then an open-loop arrival rate of chats (bench/open-loop.ts), a table,
// PASS/FAIL against the target, JSON under bench/results/, and everything torn down.
// Exit codes: 0 PASS, 1 FAIL, 2 the stack or its first chat could not start.

import { readFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join, relative } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { machineLine } from "../load/console";
import { HttpClient, networkReason, statusReason } from "../load/http";
import { CpuMeter, descendantPids } from "../load/machine";
import { type StackProcess, spawnStack } from "../load/stack-process";
import { validateChat } from "../load/validate";
import { type OpenLoopOptions, runOpenLoop } from "./open-loop";
import { chatBody } from "./overhead-probes";
import { checks, save, TARGET, table } from "./wrangler-report";

class StartError extends Error {}

const RESULTS = fileURLToPath(new URL("./results/", import.meta.url));
const log = (line: string): void => void process.stderr.write(`${line}\n`);

function num(name: string, fallback: number, min: number, max: number): number {
  const raw = process.env[name];
  const v = raw === undefined || raw === "" ? fallback : Number(raw);
  if (!Number.isFinite(v) || v < min || v > max)
    throw new StartError(`${name}=${raw}: expected a number in [${min}, ${max}]`);
  return v;
}

/** The first chat, retried while the hosts' heartbeats reach the router's fleet. */
async function preflight(client: HttpClient, model: string): Promise<void> {
  let why = "";
  for (const deadline = Date.now() + 20_000; Date.now() < deadline; await sleep(500)) {
    const r = await client
      .send("POST", "/v1/chat/completions", { body: chatBody(model, false) })
      .catch((err: unknown) => ({ status: 0, text: networkReason(err), latencyMs: 0 }));
    why =
      r.status === 0 ? r.text : r.status === 200 ? (validateChat(r.text).error ?? "") : statusReason(r.status, r.text);
    if (why === "") return;
  }
  throw new StartError(`the router did not answer a chat right within 20 s: ${why}`);
}

/** Running, not a zombie: a child's esbuild service, orphaned at its exit, stays one until init reaps it. */
const alive = (pid: number): boolean => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
};

const command = (pid: number): string => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ").trim().slice(0, 100);
  } catch {
    return "?";
  }
};

/** Stops the stack, then checks that none of the processes it ran (wrangler's workerd included) is left. */
async function teardown(stack: StackProcess, before: Set<number>): Promise<void> {
  const ours = descendantPids().filter((pid) => !before.has(pid)); // not this process's own esbuild service
  await stack.stop();
  // A helper may end on its own just after its parent: give it a moment.
  let left = ours.filter(alive);
  for (const deadline = Date.now() + 3_000; left.length > 0 && Date.now() < deadline; await sleep(100))
    left = left.filter(alive);
  if (left.length === 0) {
    log(`bench: stack stopped, none of its ${ours.length} processes left`);
    return;
  }
  log(`bench: warning: ${left.length} of the stack's processes outlived it; killing them:`);
  for (const pid of left) {
    log(`  ${pid} ${command(pid)}`);
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // it ended meanwhile
    }
  }
}

async function main(): Promise<number> {
  const settings = {
    rate: num("BENCH_RATE", 150, 1, 5_000),
    seconds: num("BENCH_SECONDS", 30, 1, 3_600),
    warmupS: num("BENCH_WARMUP_SECONDS", 5, 0, 600),
    streamShare: num("BENCH_STREAM_SHARE", 0.4, 0, 1),
  };
  const timeoutMs = num("BENCH_TIMEOUT_MS", 10_000, 100, 600_000);
  const startedAt = new Date().toISOString();
  const before = new Set(descendantPids());
  const logFile = join(RESULTS, `stack-wrangler-${startedAt.replace(/[:.]/g, "-")}.log`);
  log(`bench: starting the stack with the router under wrangler dev (log: ${relative(process.cwd(), logFile)})`);
  const stack = await spawnStack(
    {
      runner: "wrangler",
      hosts: 2,
      hostStatus: "ready",
      tokenDelayMs: 0,
      ttftMs: 0,
      routerRef: process.env.LOAD_ROUTER_REF || undefined,
    },
    logFile,
  ).catch((err: unknown) => {
    throw new StartError(err instanceof Error ? err.message : String(err));
  });
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => (stopping ??= teardown(stack, before));
  for (const signal of ["SIGINT", "SIGTERM"] as const)
    process.once(signal, () => void stop().finally(() => process.exit(2)));
  const client = new HttpClient(stack.baseUrl, stack.apiKey, timeoutMs);
  try {
    const o: OpenLoopOptions = { ...settings, model: stack.model };
    log(`bench: ${stack.description}`);
    await preflight(client, o.model);
    const loadStart = loadavg();
    log(`bench: ${o.warmupS} s warm-up, then ${o.seconds} s at ${o.rate} req/s (open loop)`);
    // Warm-up included: a /proc walk at the window's start would stall the schedule it measures.
    const cpu = new CpuMeter();
    const result = await runOpenLoop(client, o);
    const machine = cpu.stop();
    const verdict = checks(result);
    console.log(`\n${stack.description}\n\n${table(o, result)}\n`);
    for (const c of verdict) console.log(`${c.pass ? "PASS" : "FAIL"} ${c.line}`);
    const busy = machineLine({ machine });
    if (busy) console.log(`\n${busy}`);
    const f = (l: number[]): string => l.map((x) => x.toFixed(2)).join(", ");
    const loadEnd = loadavg();
    console.log(`load average (1, 5, 15 min): ${f(loadStart)} at the start, ${f(loadEnd)} at the end`);
    const file = save(RESULTS, {
      startedAt,
      stack: stack.description,
      stackLog: relative(process.cwd(), logFile),
      options: o,
      result,
      checks: verdict,
      machine,
      loadAverage: { start: loadStart, end: loadEnd },
    });
    console.log(`\nsaved: ${relative(process.cwd(), file)}\nstack log: ${relative(process.cwd(), logFile)}`);
    const passed = verdict.every((c) => c.pass);
    const target = `≥ ${TARGET.rps} req/s of chat at p95 < ${TARGET.p95Ms} ms, ${TARGET.errors} errors`;
    console.log(`\n${passed ? "PASS" : "FAIL"} wrangler dev stack: ${target}`);
    return passed ? 0 : 1;
  } finally {
    await client.destroy().catch(() => {});
    await stop();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`error: ${err instanceof Error ? err.message : String(err)}`);
    if (!(err instanceof StartError)) console.error(err);
    process.exit(2);
  },
);
