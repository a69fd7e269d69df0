// `npm run bench:audio-upload`: workerd's memory while audio uploads stream through the router. A
// self-contained stack (the router in workerd through Miniflare, one simulated GPU host in another
// process, and a bare pass-through Worker in its own workerd as the floor), then WAV transcriptions
// through the official SDK — 1 MiB ones, 20 MiB ones, and 4 × 20 MiB at once — while each workerd
// process's resident memory (VmRSS) is sampled every 5 ms. Streamed, a 20 MiB upload costs about what
// the pass-through pays for it; held whole, every upload in flight would add its size (and any copy)
// to the peak. Prints the figures; a benchmark, not a timed test.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import OpenAI, { toFile } from "openai";
import { wavFile } from "../dev/mock-gpu/wav";
import { spawnStack } from "../load/stack-process";
import { workerdListeningOn } from "./workerd-cpu";

const MIB = 1024 * 1024;
const ROUNDS = Number(process.env.BENCH_ROUNDS) || 5;
const CONCURRENT = 4;
/** The mock's WAVs: 24 kHz mono 16-bit, 48,000 bytes a second. */
const wavOf = (bytes: number) => wavFile(bytes / 48_000, "benchmark upload");
const PASSTHROUGH = fileURLToPath(new URL("./passthrough/wrangler.toml", import.meta.url));
const log = (line: string): void => void process.stderr.write(`${line}\n`);

/** Resident memory of a process, MiB (Linux /proc). */
function rssOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? Number.NaN) / 1024;
}

interface Target {
  name: string;
  pid: number;
  send(file: Buffer): Promise<string>;
}

interface Row {
  target: string;
  load: string;
  before: number;
  after: number;
  peak: number;
  ok: number;
  total: number;
}

/** `rounds` times `parallel` uploads of `file` at once, RSS sampled throughout. */
async function measure(t: Target, load: string, file: Buffer, rounds: number, parallel = 1): Promise<Row> {
  const before = rssOf(t.pid);
  let peak = before;
  const sampler = setInterval(() => {
    peak = Math.max(peak, rssOf(t.pid));
  }, 5);
  let ok = 0;
  try {
    for (let i = 0; i < rounds; i++) {
      const texts = await Promise.all(Array.from({ length: parallel }, () => t.send(file).catch(String)));
      ok += texts.filter((text) => text === "benchmark upload").length;
    }
  } finally {
    clearInterval(sampler);
  }
  const after = rssOf(t.pid);
  const row = { target: t.name, load, before, after, peak: Math.max(peak, after), ok, total: rounds * parallel };
  log(
    `${t.name} ${load}: ${ok}/${row.total} transcribed, RSS ${before.toFixed(1)} → ${after.toFixed(1)}, peak ${peak.toFixed(1)} MiB`,
  );
  return row;
}

function client(baseURL: string, apiKey: string, model: string) {
  const openai = new OpenAI({ baseURL, apiKey, maxRetries: 0, timeout: 120_000 });
  return async (file: Buffer) =>
    (await openai.audio.transcriptions.create({ model, file: await toFile(file, "upload.wav", { type: "audio/wav" }) }))
      .text;
}

async function main(): Promise<void> {
  const logFile = fileURLToPath(new URL(`./results/audio-upload-${Date.now()}.log`, import.meta.url));
  const stack = await spawnStack(
    { hosts: 1, hostStatus: "ready", tokenDelayMs: 0, ttftMs: 0, passthroughConfig: PASSTHROUGH },
    logFile,
  );
  try {
    const pidOf = (url: string | null) => {
      const pid = url ? workerdListeningOn(Number(new URL(url).port)) : undefined;
      if (pid === undefined) throw new Error(`no workerd process listens on ${url}`);
      return pid;
    };
    const targets: Target[] = [
      {
        name: "pass-through",
        pid: pidOf(stack.passthroughUrl),
        send: client(`${stack.passthroughUrl}/v1`, "none", stack.model),
      },
      { name: "router", pid: pidOf(stack.baseUrl), send: client(`${stack.baseUrl}/v1`, stack.apiKey, stack.model) },
    ];
    const small = wavOf(MIB);
    const large = wavOf(20 * MIB);
    log(`${ROUNDS} uploads per size, then ${ROUNDS} rounds of ${CONCURRENT} at once; RSS sampled every 5 ms`);
    const rows: Row[] = [];
    for (const t of targets.filter((x) => !process.env.BENCH_TARGET || x.name === process.env.BENCH_TARGET)) {
      // Warm-up: the isolate, the router's memos, its Durable Objects, the first connections.
      await measure(t, "warm-up", small, ROUNDS);
      rows.push(await measure(t, "1 MiB", small, ROUNDS));
      rows.push(await measure(t, "20 MiB", large, ROUNDS));
      rows.push(await measure(t, `${CONCURRENT} × 20 MiB`, large, ROUNDS, CONCURRENT));
    }
    const pad = (v: string | number, n: number) => String(v).padStart(n);
    console.log(`\nworkerd RSS (MiB) while WAV transcriptions stream through, ${ROUNDS} rounds each:`);
    console.log(
      `${"target".padEnd(14)}${"uploads".padEnd(13)}${pad("before", 8)}${pad("after", 8)}${pad("peak", 8)}${pad("peak-before", 13)}  ok`,
    );
    for (const r of rows)
      console.log(
        `${r.target.padEnd(14)}${r.load.padEnd(13)}${pad(r.before.toFixed(1), 8)}${pad(r.after.toFixed(1), 8)}${pad(r.peak.toFixed(1), 8)}${pad((r.peak - r.before).toFixed(1), 13)}  ${r.ok}/${r.total}`,
      );
  } finally {
    await stack.stop();
  }
}

await main();
