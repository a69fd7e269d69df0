// `npm run bench:compare -- <ref> [<ref>…]`: routers built from git refs ("." for the working tree),
// measured side by side against the pass-through Worker, interleaved round by round so a busy spell
// hits every version alike: sequential p50, JSON throughput and workerd CPU per request at
// concurrency 32, stream throughput and CPU per stream at 32; with BENCH_LIMITED (limits as JSON) each ref also through a
// key that has them, with BENCH_SESSION=1 also as one chat session. For ablations (a branch with one
// part switched off) and before/after checks of a hot-path change; `npm run bench` remains the full set.
import { HttpClient } from "../load/http";
import { createLimitedKey } from "../load/limits";
import { spawnStack } from "../load/stack-process";
import { chatBody, median, sequential, streamThroughput, type Target, throughput } from "./overhead-probes";
import { cpuMs, workerdListeningOn } from "./workerd-cpu";

const PASSTHROUGH = new URL("./passthrough/wrangler.toml", import.meta.url).pathname;
const ROUNDS = Number(process.env.BENCH_ROUNDS) || 3;
const SECONDS = Number(process.env.BENCH_THROUGHPUT_MS) || 2500;
/** BENCH_SESSION=1: each ref is also measured with an X-Inventiv-Session (through the SessionObject). */
const SESSION = process.env.BENCH_SESSION === "1";
/** BENCH_LIMITED (the admin API's limits as JSON): each ref is also measured with a key that has them. */
const LIMITED = process.env.BENCH_LIMITED
  ? (JSON.parse(process.env.BENCH_LIMITED) as Record<string, unknown>)
  : undefined;

type Figure = "p50" | "rps" | "cpu" | "sps" | "scpu";
interface Entry {
  label: string;
  target: Target;
  samples: Record<Figure, number[]>;
}

const pidOf = (url: string): number | undefined => workerdListeningOn(Number(new URL(url).port));

async function main(refs: string[]): Promise<void> {
  if (refs.length === 0) throw new Error("name at least one git ref (or . for the working tree)");
  const stacks: Awaited<ReturnType<typeof spawnStack>>[] = [];
  const entries: Entry[] = [];
  const entry = (label: string, url: string, apiKey: string, headers: Record<string, string> = {}): Entry => ({
    label,
    target: { key: "c", name: label, client: new HttpClient(url, apiKey, 30_000, headers), pid: pidOf(url) },
    samples: { p50: [], rps: [], cpu: [], sps: [], scpu: [] },
  });
  try {
    for (const [i, ref] of refs.entries()) {
      const stack = await spawnStack(
        {
          hosts: 1,
          hostStatus: "ready",
          tokenDelayMs: 0,
          ttftMs: 0,
          passthroughConfig: i === 0 ? PASSTHROUGH : undefined,
          routerRef: ref === "." ? undefined : ref,
        },
        `bench/results/compare-${i}.log`,
      );
      stacks.push(stack);
      if (i === 0 && stack.passthroughUrl) entries.push(entry("passthrough", stack.passthroughUrl, stack.apiKey));
      entries.push(entry(ref, stack.baseUrl, stack.apiKey));
      // One session for all loops: its object takes one decision at a time, as one conversation's would.
      if (SESSION)
        entries.push(entry(`${ref} session`, stack.baseUrl, stack.apiKey, { "x-inventiv-session": "bench" }));
      if (LIMITED) {
        const admin = new HttpClient(stack.baseUrl, stack.apiKey, 30_000);
        const limited = await createLimitedKey(admin, LIMITED).finally(() => admin.destroy());
        entries.push(entry(`${ref} limited`, stack.baseUrl, limited.key));
      }
    }
    const model = stacks[0]?.model ?? "";
    const [json, sse] = [chatBody(model, false), chatBody(model, true)];
    for (const { target } of entries) {
      await throughput(target, json, 32, 1500);
      await streamThroughput(target, sse, 32, 500);
    }
    for (let r = 1; r <= ROUNDS; r++) {
      for (const { target, samples } of entries) {
        samples.p50.push((await sequential(target, json, 150)).p50);
        const before = cpuMs(target.pid);
        const x = await throughput(target, json, 32, SECONDS);
        samples.rps.push(x.rps);
        samples.cpu.push((cpuMs(target.pid) - before) / Math.max(1, x.ok));
        const streamsBefore = cpuMs(target.pid);
        const y = await streamThroughput(target, sse, 32, SECONDS);
        samples.sps.push(y.rps);
        samples.scpu.push((cpuMs(target.pid) - streamsBefore) / Math.max(1, y.ok));
        const errors = [...x.errors, ...y.errors];
        if (errors.length > 0) console.log(`${target.name}: ${errors.length} failed, e.g. ${errors[0]}`);
      }
      process.stderr.write(`compare: round ${r}/${ROUNDS}\n`);
    }
    const base = entries[0]?.samples;
    const ratio = (e: Entry, f: Figure): string =>
      base ? `${(median(e.samples[f]) / median(base[f])).toFixed(2)}×` : "";
    for (const e of entries) {
      const m = (f: Figure): number => median(e.samples[f]);
      console.log(
        `${e.label.padEnd(18)} rps ${m("rps").toFixed(0).padStart(5)} (${ratio(e, "rps")})  streams/s ${m("sps").toFixed(0).padStart(5)} (${ratio(e, "sps")})  cpu ${m("cpu").toFixed(2)} ms/req ${m("scpu").toFixed(2)} ms/stream  p50 ${m("p50").toFixed(2)} ms`,
      );
    }
  } finally {
    for (const { target } of entries) await target.client.destroy().catch(() => {});
    for (const s of stacks) await s.stop();
  }
}

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(`error: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
