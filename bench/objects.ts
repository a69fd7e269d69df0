// `npm run bench:objects`: what one Durable Object of each kind sustains, in workerd (Miniflare), with the
// router's own classes (bench/objects/index.ts). Per object and concurrency: operations per second, the
// median of BENCH_ROUNDS rounds of BENCH_OBJECT_OPS operations. Local figures: one workerd process on this
// machine, storage on local SQLite; Cloudflare documents ~1,000 requests/s as one object's soft limit. Locally
// every object shares this one workerd process, so replicas show their cost here, not their scaling: in
// production each replica is an object of its own, on its own thread.
import { cpus, loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { startRouter } from "../dev/router-miniflare";
import { median } from "./overhead-probes";

const CONFIG = fileURLToPath(new URL("./objects/wrangler.toml", import.meta.url));
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const OPS = Number(process.env.BENCH_OBJECT_OPS ?? 3_000);
const CONCURRENCY = [1, 8, 32];

const CASES = [
  { path: "/fleet/acquire-release", what: "FleetObject: acquire + release (two calls a request)", perOp: 1 },
  { path: "/fleet/acquire-carrying-release", what: "FleetObject: one acquire a request (the release on it)", perOp: 1 },
  { path: "/fleet/spares", what: "FleetObject: an acquire brings 4 spares for the next requests", perOp: 1 },
  { path: "/fleet/replicas", what: "one fleet of 4 FleetObject replicas, one acquire a request", perOp: 1 },
  {
    path: "/limiter/admit-settle",
    what: "LimiterObject: admit carrying earlier settlements (a limited key's request)",
    perOp: 1,
  },
  { path: "/outbox/enqueue", what: "UsageOutbox: one event per call (group commit sends many)", perOp: 1 },
  { path: "/outbox/enqueue-group", what: "UsageOutbox: events/s, a group of 24 per call (one row)", perOp: 24 },
];

// The outbox's flush has no database here and says so on every retry: those lines are not figures.
const quiet = (message: string) => {
  if (!message.includes("usage_flush_failed")) console.error(message);
};
const worker = await startRouter({ configPath: CONFIG, vars: {}, onLog: quiet });
try {
  console.log(
    `objects benchmark: ${cpus().length} cores, load average ${loadavg()[0]?.toFixed(1)}, ${ROUNDS} rounds of ${OPS} ops\n`,
  );
  console.log(`${"requests/s of one object".padEnd(60)} ${CONCURRENCY.map((c) => `c=${c}`.padStart(8)).join(" ")}`);
  for (const c of CASES) {
    const cells: string[] = [];
    for (const concurrency of CONCURRENCY) {
      const rates: number[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        const started = performance.now();
        const res = await fetch(`${worker.url}${c.path}?ops=${OPS}&concurrency=${concurrency}`);
        if (!res.ok) throw new Error(`${c.path}: ${res.status} ${await res.text()}`);
        await res.arrayBuffer();
        rates.push((OPS * c.perOp) / ((performance.now() - started) / 1000));
      }
      cells.push(median(rates).toFixed(0).padStart(8));
    }
    console.log(`${c.what.padEnd(60)} ${cells.join(" ")}`);
  }
} finally {
  await worker.dispose();
}
