// Merges the two halves of `npm run test:coverage` — vitest's istanbul report (coverage/vitest:
// the workers project in workerd, plus Node-side imports) and the integration routers' own
// counters (coverage/integration, raw bundle coverage: dev/coverage-bundle.ts) mapped back to the
// sources — prints lines and branches per folder, writes coverage/index.html, and fails below
// COVERAGE_MIN_LINES (percent of lines, default 80).
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, sep } from "node:path";
import libCoverage, { type CoverageMap, type CoverageSummary, type FileCoverageData } from "istanbul-lib-coverage";
import libReport from "istanbul-lib-report";
import libSourceMaps from "istanbul-lib-source-maps";
import reports from "istanbul-reports";
import { SHAPE } from "../dev/coverage-bundle";
import { REPO } from "../dev/wrangler-bin";

type Counters = Pick<FileCoverageData, "s" | "f" | "b">;

const FOLDERS = ["worker", "durable-objects"];
const OUT = join(REPO, "coverage");
const minLines = Number(process.env.COVERAGE_MIN_LINES ?? "80");

const ours = (file: string) => FOLDERS.some((f) => file.startsWith(join(REPO, f) + sep));

async function integrationCoverage(): Promise<CoverageMap> {
  const raw = libCoverage.createCoverageMap({});
  const dir = join(OUT, "integration");
  const dumps = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith(".json")) : [];
  const shapes = new Map<string, FileCoverageData>();
  for (const f of dumps) {
    const counters = JSON.parse(readFileSync(join(dir, f), "utf8")) as Record<string, Counters>;
    for (const [bundle, c] of Object.entries(counters)) {
      let shape = shapes.get(bundle);
      if (!shape) {
        shape = JSON.parse(readFileSync(join(dirname(bundle), SHAPE), "utf8")) as FileCoverageData;
        shapes.set(bundle, shape);
      }
      raw.merge({ [bundle]: { ...shape, s: c.s, f: c.f, b: c.b } });
    }
  }
  console.log(`coverage: ${dumps.length} integration router dump(s)`);
  const mapped = await libSourceMaps.createSourceMapStore().transformCoverage(raw);
  return mapped;
}

function pct(s: CoverageSummary, key: "lines" | "branches"): string {
  const m = s.data[key];
  return `${Number(m.pct).toFixed(1)} % (${m.covered}/${m.total})`;
}

const merged = libCoverage.createCoverageMap({});
const vitestFile = join(OUT, "vitest", "coverage-final.json");
if (existsSync(vitestFile)) merged.merge(JSON.parse(readFileSync(vitestFile, "utf8")));
else console.log("coverage: no vitest report (coverage/vitest/coverage-final.json)");
merged.merge(await integrationCoverage());
merged.filter(ours);

const context = libReport.createContext({ dir: OUT, coverageMap: merged, defaultSummarizer: "nested" });
for (const name of ["html", "json-summary", "text"] as const) reports.create(name).execute(context);

const total = libCoverage.createCoverageSummary();
for (const folder of FOLDERS) {
  const summary = libCoverage.createCoverageSummary();
  for (const file of merged.files())
    if (relative(REPO, file).startsWith(folder + sep)) summary.merge(merged.fileCoverageFor(file).toSummary());
  total.merge(summary);
  console.log(`coverage ${folder}/: lines ${pct(summary, "lines")}, branches ${pct(summary, "branches")}`);
}
console.log(`coverage total: lines ${pct(total, "lines")}, branches ${pct(total, "branches")}`);
console.log(`coverage: HTML report at ${relative(process.cwd(), join(OUT, "index.html"))}`);
if (Number(total.data.lines.pct) < minLines) {
  console.error(`coverage: lines ${pct(total, "lines")} is below the ${minLines} % floor`);
  process.exit(1);
}
