// `npm run bench:routing`: the routing policies side by side on the same seeded traces (simulation), a table
// per scenario, bench/results/routing-<time>.json and an HTML report next to it. Exit 1 when a target fails.
import { mkdirSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { POLICY_NAMES } from "./policies";
import { runReal } from "./real";
import { renderRoutingReport } from "./report";
import { runScenario, type ScenarioResult } from "./run";
import { SCENARIOS } from "./scenario";

const RESULTS_DIR = fileURLToPath(new URL("../results/", import.meta.url));

function printScenario(r: ScenarioResult): void {
  console.log(`\n${r.name}: ${r.description} — ${r.requests} requests`);
  console.log("policy            mean e2e   p99 e2e  mean ttft  p99 ttft  burst/fair  affinity  re-pins");
  for (const name of POLICY_NAMES) {
    const p = r.policies[name];
    const cells = [p.mean_e2e_ms, p.p99_e2e_ms, p.mean_ttft_ms, p.p99_ttft_ms].map((v) => v.toFixed(0).padStart(9));
    console.log(
      `${name.padEnd(16)} ${cells.join(" ")} ${p.max_burst_share.toFixed(2).padStart(11)} ${p.affinity_kept.toFixed(3).padStart(9)} ${String(p.repins).padStart(8)}`,
    );
  }
  for (const t of r.targets) console.log(`  ${t.pass ? "PASS" : "FAIL"}  ${t.name}: ${t.actual} (${t.limit})`);
}

if (process.argv.includes("--real")) {
  await runReal();
  process.exit(0);
}

const started = new Date();
const results = SCENARIOS.map(runScenario);
for (const r of results) printScenario(r);
console.log(`\nsimulated in ${((Date.now() - started.getTime()) / 1000).toFixed(1)} s`);

const stamp = started.toISOString().replace(/[:.]/g, "-");
mkdirSync(RESULTS_DIR, { recursive: true });
const json = `${RESULTS_DIR}routing-${stamp}.json`;
const scenarios = Object.fromEntries(results.map(({ timelines: _, ...r }) => [r.name, r]));
writeFileSync(
  json,
  `${JSON.stringify({ startedAt: started.toISOString(), kind: "simulation", scenarios }, null, 2)}\n`,
);
writeFileSync(json.replace(/\.json$/, ".html"), renderRoutingReport(results, started.toISOString()));
console.log(`results: ${json}\nreport:  ${json.replace(/\.json$/, ".html")}`);
if (results.some((r) => r.targets.some((t) => !t.pass))) process.exitCode = 1;
