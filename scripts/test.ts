// `npm test [-- vitest args]`: the suite once, with coverage — the workers project instrumented by
// vitest, the integration routers by dev/coverage-bundle.ts — then scripts/coverage-report.ts merges
// both, prints the figures per folder and, on a whole run (no arguments), fails below the floor.
// COVERAGE=0 runs the same tests without instrumentation. A run that has not ended after
// TEST_DEADLINE_MINUTES (default 25) is stopped and fails: a hung test must not hold CI for its hour and a half.
import { spawnSync } from "node:child_process";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { nodeBinary, REPO } from "../dev/wrangler-bin";

const args = process.argv.slice(2);
const withCoverage = process.env.COVERAGE !== "0";

const DEADLINE_MINUTES = Number(process.env.TEST_DEADLINE_MINUTES) || 25;

const run = (nodeArgs: string[], env: NodeJS.ProcessEnv): number => {
  const { status, signal, error } = spawnSync(nodeBinary(), nodeArgs, {
    cwd: REPO,
    stdio: "inherit",
    env,
    timeout: DEADLINE_MINUTES * 60_000,
    killSignal: "SIGKILL",
  });
  if ((error as NodeJS.ErrnoException | undefined)?.code === "ETIMEDOUT")
    console.error(
      `test: stopped after ${DEADLINE_MINUTES} minutes (TEST_DEADLINE_MINUTES): the files reported above finished, the hung one is among those not listed`,
    );
  return status ?? (signal ? 128 : 1);
};

const VITEST = join(REPO, "node_modules", "vitest", "vitest.mjs");
if (!withCoverage) process.exit(run([VITEST, "run", ...args], process.env));

rmSync(join(REPO, "coverage"), { recursive: true, force: true });
const tests = run([VITEST, "run", "--coverage", ...args], { ...process.env, COVERAGE: "1" });
// The figures even when a test failed (they say what ran); the exit code is the tests' first.
const report = run(["--import", "tsx", join(REPO, "scripts", "coverage-report.ts")], {
  ...process.env,
  COVERAGE_PARTIAL: args.length > 0 ? "1" : "0",
});
process.exit(tests !== 0 ? tests : report);
