// Coverage of the router as the integration tests run it: in its own workerd, out of reach of
// vitest's instrumentation. With COVERAGE=1 the bundle Miniflare loads is istanbul-instrumented
// (through its source map, so counts map back to worker/*.ts), wrapped by an entry module that
// answers GET /__coverage__ with the isolate's counters; dispose() saves them under
// coverage/integration/ for scripts/coverage-report.ts to merge with vitest's own report.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { createInstrumenter } from "istanbul-lib-instrument";
import { REPO } from "./wrangler-bin";

export const coverageEnabled = (): boolean => process.env.COVERAGE === "1";

export const INTEGRATION_COVERAGE_DIR = join(REPO, "coverage", "integration");
const CACHE = join(REPO, "node_modules", ".cache", "router-coverage");
export const COVERAGE_PATH = "/__coverage__";
/** Next to an instrumented bundle: its coverage with zero counts. */
export const SHAPE = "coverage-shape.json";

export interface InstrumentedBundle {
  /** The entry module to load instead of the bundle. */
  entry: string;
  /** Every module, entry first (Miniflare does not follow `export * from`). */
  modules: string[];
}

/** Instruments the bundle at scriptPath (cached by content). */
export function instrumentBundle(scriptPath: string): InstrumentedBundle {
  const code = readFileSync(scriptPath, "utf8");
  const sha = createHash("sha256").update(code).digest("hex").slice(0, 16);
  const dir = join(CACHE, sha);
  const entry = join(dir, "entry.js");
  const result = { entry, modules: [entry, join(dir, "index.js")] };
  if (existsSync(entry)) return result;
  mkdirSync(dir, { recursive: true });
  const map = JSON.parse(readFileSync(`${scriptPath}.map`, "utf8")) as { sources: string[]; sourceRoot?: string };
  // Absolute sources: the build's temp dir is gone by the time the report is made.
  map.sources = map.sources.map((s) => resolve(dirname(scriptPath), map.sourceRoot ?? "", s));
  map.sourceRoot = "";
  const instrumenter = createInstrumenter({
    esModules: true,
    compact: true,
    produceSourceMap: false,
    // workerd forbids `new Function`, istanbul's default way of finding the global object.
    coverageGlobalScope: "globalThis",
    coverageGlobalScopeFunc: false,
  });
  // The key the counters are stored under: one per distinct bundle, so runs of it merge.
  const instrumented = instrumenter.instrumentSync(code, join(dir, "index.js"), map as never);
  writeFileSync(join(dir, "index.js"), instrumented);
  // The statement/branch maps, once; each router's dump then carries only its counters.
  writeFileSync(join(dir, SHAPE), JSON.stringify(instrumenter.lastFileCoverage()));
  writeFileSync(
    entry,
    `import app from "./index.js";
export * from "./index.js";
export default {
  fetch(request, env, ctx) {
    if (new URL(request.url).pathname === ${JSON.stringify(COVERAGE_PATH)})
      return Response.json(
        Object.fromEntries(
          Object.entries(globalThis.__coverage__ ?? {}).map(([file, c]) => [file, { s: c.s, f: c.f, b: c.b }]),
        ),
      );
    return app.fetch(request, env, ctx);
  },
};
`,
  );
  return result;
}

let dumps = 0;

/** Saves the router's counters (call before disposing it); a router that no longer answers is skipped. */
export async function saveCoverage(url: string): Promise<void> {
  const response = await fetch(`${url}${COVERAGE_PATH}`).catch(() => null);
  if (!response?.ok) return;
  mkdirSync(INTEGRATION_COVERAGE_DIR, { recursive: true });
  const file = join(INTEGRATION_COVERAGE_DIR, `${process.pid}-${++dumps}-${Date.now()}.json`);
  writeFileSync(file, await response.text());
}
