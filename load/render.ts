// Re-renders the HTML report of a saved run: `tsx load/render.ts load/results/<run>.json`
// (after a change to the report, or to view an older run with the current charts).
import { readFileSync, writeFileSync } from "node:fs";
import { renderReport } from "./report/html";
import type { RunResult } from "./results";

const file = process.argv[2];
if (!file?.endsWith(".json")) {
  console.error("usage: tsx load/render.ts <result>.json");
  process.exit(2);
}
const result = JSON.parse(readFileSync(file, "utf8")) as RunResult;
if (result.schema !== "inventiv-load-result/1") {
  console.error(`${file}: not a load result (schema ${String(result.schema)})`);
  process.exit(2);
}
const out = file.replace(/\.json$/, ".html");
writeFileSync(out, renderReport(result));
console.log(out);
