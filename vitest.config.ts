// Two projects sharing one global setup (database + ws proxy + migrations + demo seed):
// - workers:     test/workers/**, inside workerd with the router's bindings;
// - integration: test/integration/**, in Node, driving a real router over HTTP.
import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // The root's global setup runs once per run, before either project's pool starts.
    globalSetup: ["./test/global-setup.ts"],
    // `npm test` (scripts/test.ts) runs with --coverage: istanbul (V8 coverage does not work inside
    // workerd). The router the integration project runs in its own workerd is instrumented separately
    // (dev/coverage-bundle.ts) and merged with this report by scripts/coverage-report.ts.
    coverage: {
      provider: "istanbul",
      // The product code, every file of it (loaded or not): the Worker, its objects and the operator
      // CLI. Not measured: schema/ (table declarations; their callbacks run only in drizzle-kit, and the
      // migrations are their test) and the tooling, dev/, load/, bench/, scripts/ and test/.
      // scripts/coverage-report.ts reports exactly the files listed here.
      include: ["worker/**/*.{ts,tsx}", "durable-objects/**/*.{ts,tsx}", "cli/**/*.ts"],
      reporter: ["json"],
      // The figures of what ran, also when a test failed (scripts/test.ts still fails the run).
      reportOnFailure: true,
      reportsDirectory: "coverage/vitest",
    },
    // The Worker's structured log lines (`{"msg":…}`: dead letters, flush retries) are what error-path
    // tests provoke on purpose; printed, they read like failures. Tests that care assert on them
    // (the integration stack captures them through onLog). Anything else still prints.
    onConsoleLog: (log) => !log.trimStart().startsWith('{"msg":'),
    projects: [
      {
        plugins: [
          // A function, so the bindings are read after global setup has picked the ports.
          cloudflareTest(({ inject }) => ({
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: {
              bindings: {
                DATABASE_URL: inject("databaseUrl"),
                DB_WS_PROXY: inject("wsProxy"),
              },
            },
          })),
        ],
        test: {
          name: "workers",
          include: ["test/workers/**/*.test.ts"],
          // Outbox tests drive real alarms and SQLite commits: seconds on a busy 2-core machine, not 5.
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: "integration",
          include: ["test/integration/**/*.test.ts"],
          environment: "node",
          testTimeout: 30_000,
          hookTimeout: 60_000,
          // One file at a time: each boots its own workerd, and embedded PGlite serializes
          // every query (an open transaction blocks all connections), so parallel files
          // would mostly queue and make timing-sensitive assertions flaky.
          fileParallelism: false,
        },
      },
    ],
  },
});
