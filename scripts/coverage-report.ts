// Merges the two halves of a coverage run (`npm test`) — vitest's istanbul report (coverage/vitest:
// the workers project in workerd, plus Node-side imports) and the integration routers' own
// counters (coverage/integration, raw bundle coverage: dev/coverage-bundle.ts) mapped back to the
// sources — prints lines and branches per folder, writes coverage/index.html, and fails below
// COVERAGE_MIN_LINES (percent of lines, default 80) unless COVERAGE_PARTIAL=1 (a filtered run).
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, sep } from "node:path";
import libCoverage, { type CoverageMap, type CoverageSummary, type FileCoverageData } from "istanbul-lib-coverage";
import libReport from "istanbul-lib-report";
import libSourceMaps from "istanbul-lib-source-maps";
import reports from "istanbul-reports";
import { SHAPE } from "../dev/coverage-bundle";
import { REPO } from "../dev/wrangler-bin";

type Counters = Pick<FileCoverageData, "s" | "f" | "b">;

const OUT = join(REPO, "coverage");
const minLines = Number(process.env.COVERAGE_MIN_LINES ?? "80");
const partial = process.env.COVERAGE_PARTIAL === "1";

/**
 * istanbul merges two reports of one file by statement location. The source-mapped half ends
 * unmapped columns at Infinity where vitest's JSON has null (JSON's Infinity): unnormalised, each
 * statement counted twice, once covered and once not, which halves statement and branch figures.
 */
const normalised = (map: CoverageMap): CoverageMap => libCoverage.createCoverageMap(JSON.parse(JSON.stringify(map)));

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
  return normalised(await libSourceMaps.createSourceMapStore().transformCoverage(raw));
}

function pct(s: CoverageSummary, key: "lines" | "branches"): string {
  const m = s.data[key];
  return `${Number(m.pct).toFixed(1).padStart(5)} % ${`(${m.covered}/${m.total})`.padEnd(11)}`;
}

// vitest's report lists every file of vitest.config.ts's coverage.include, run or not: the files measured.
const vitestFile = join(OUT, "vitest", "coverage-final.json");
if (!existsSync(vitestFile)) {
  console.error("coverage: no vitest report (coverage/vitest/coverage-final.json): `npm test` writes it");
  process.exit(1);
}
const merged = libCoverage.createCoverageMap(JSON.parse(readFileSync(vitestFile, "utf8")));
const measured = new Set(merged.files());
merged.merge(await integrationCoverage());
merged.filter((file) => measured.has(file));

const context = libReport.createContext({ dir: OUT, coverageMap: merged, defaultSummarizer: "nested" });
for (const name of ["html", "json-summary"] as const) reports.create(name).execute(context);

// Every folder that holds measured files, with what is below it; then the total.
const folders = new Map<string, CoverageSummary>();
const total = libCoverage.createCoverageSummary();
for (const file of merged.files()) {
  const summary = merged.fileCoverageFor(file).toSummary();
  total.merge(summary);
  const parts = relative(REPO, file).split(sep).slice(0, -1);
  for (let depth = 1; depth <= parts.length; depth++) {
    const folder = `${parts.slice(0, depth).join("/")}/`;
    const into = folders.get(folder) ?? libCoverage.createCoverageSummary();
    into.merge(summary);
    folders.set(folder, into);
  }
}
const width = Math.max(...[...folders.keys()].map((f) => f.length));
for (const [folder, summary] of [...folders].sort(([a], [b]) => a.localeCompare(b)))
  console.log(`coverage ${folder.padEnd(width)}  lines ${pct(summary, "lines")}  branches ${pct(summary, "branches")}`);
console.log(`coverage ${"total".padEnd(width)}  lines ${pct(total, "lines")}  branches ${pct(total, "branches")}`);
console.log(`coverage: HTML report (per file and line) at ${relative(process.cwd(), join(OUT, "index.html"))}`);
if (partial) console.log(`coverage: a partial run (files or filters given): the ${minLines} % floor is not checked`);
else if (Number(total.data.lines.pct) < minLines) {
  console.error(`coverage: lines ${pct(total, "lines")} is below the ${minLines} % floor`);
  process.exit(1);
} else console.log(`coverage: lines at or above the ${minLines} % floor`);
