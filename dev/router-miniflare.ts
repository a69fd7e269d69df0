// Runs the router in workerd through the Miniflare API, for tests and benchmarks: one workerd
// process listening directly on 127.0.0.1 (unsafeDirectSockets), no `wrangler dev` proxy hop.
// The Worker is bundled exactly as for deploy (`wrangler deploy --dry-run`), once per process.
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { promisify } from "node:util";
import { convertV4MiniflareOptions, Log, LogLevel, Miniflare } from "miniflare";
import { type Unstable_Config, unstable_readConfig } from "wrangler";
import { coverageEnabled, instrumentBundle, saveCoverage } from "./coverage-bundle";
import { nodeBinary, REPO, WRANGLER_SCRIPT, wranglerEnv } from "./wrangler-bin";

const DEFAULT_CONFIG = join(REPO, "wrangler.toml");

export interface RouterOptions {
  /** 0 or absent picks a free port. */
  port?: number;
  /** Plain-text bindings on top of wrangler.toml's [vars]: DATABASE_URL, DB_WS_PROXY, … */
  vars: Record<string, string>;
  /** Another wrangler config (its `main` is bundled instead). */
  configPath?: string;
  /** Miniflare/workerd log level; warnings and errors by default. */
  logLevel?: LogLevel;
  /**
   * Keep Durable Object (and other local) storage in this directory, so a router started again on
   * it resumes where the last one stopped, as `wrangler dev` does with .wrangler/state. Absent:
   * in memory, gone at dispose.
   */
  persistPath?: string;
  /**
   * Durable Object bindings served by another of the Worker's classes than wrangler.toml says (tests:
   * `{ LIMITER: "FleetObject" }` is a binding whose every call fails in workerd's RPC layer).
   */
  classOverrides?: Record<string, string>;
  /** Receives each line the Worker logs (console.log/error); replaces printing them. */
  onLog?: (message: string, level: string) => void;
}

export interface Router {
  /** http://127.0.0.1:<port> */
  url: string;
  port: number;
  mf: Miniflare;
  dispose(): Promise<void>;
}

export async function startRouter(options: RouterOptions): Promise<Router> {
  const configPath = resolve(options.configPath ?? DEFAULT_CONFIG);
  const built = await bundle(configPath);
  const coverage = coverageEnabled();
  const instrumented = coverage ? instrumentBundle(built) : null;
  const scriptPath = instrumented?.entry ?? built;
  const config = unstable_readConfig({ config: configPath }, { hideWarnings: true });
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      name: "router",
      compatibilityDate: config.compatibility_date,
      compatibilityFlags: config.compatibility_flags,
      durableObjects: durableObjects(config, options.classOverrides ?? {}),
      ...(instrumented
        ? { modules: instrumented.modules.map((path) => ({ type: "ESModule" as const, path })) }
        : { modules: true, scriptPath }),
      modulesRoot: dirname(scriptPath),
      bindings: { ...config.vars, ...options.vars },
      ...(options.persistPath ? { resourcePersistencePath: options.persistPath } : {}),
      host: "127.0.0.1",
      port: 0,
      cf: false,
      log: new Log(options.logLevel ?? LogLevel.WARN),
      unsafeDirectSockets: [{ host: "127.0.0.1", port: options.port ?? 0 }],
      ...(options.onLog
        ? { handleStructuredLogs: (log: { message: string; level: string }) => options.onLog?.(log.message, log.level) }
        : {}),
    }),
  );
  try {
    await mf.ready;
    const direct = await mf.unsafeGetDirectURL("router");
    const url = direct.origin;
    const dispose = async () => {
      if (coverage) await saveCoverage(url);
      await mf.dispose();
    };
    return { url, port: Number(direct.port), mf, dispose };
  } catch (error) {
    await mf.dispose().catch(() => {});
    throw error;
  }
}

/** The config's Durable Object bindings; classes created by a new_sqlite_classes migration use SQLite. */
function durableObjects(
  config: Unstable_Config,
  overrides: Record<string, string>,
): Record<string, { className: string; useSQLite: boolean }> {
  const sqlite = new Set(config.migrations.flatMap((m) => m.new_sqlite_classes ?? []));
  return Object.fromEntries(
    config.durable_objects.bindings.map((b) => {
      const className = overrides[b.name] ?? b.class_name;
      return [b.name, { className, useSQLite: sqlite.has(className) }];
    }),
  );
}

const builds = new Map<string, Promise<string>>();

/** Bundles the config's `main`; cached per process, in a private temp dir so parallel runs don't clash. */
function bundle(configPath: string): Promise<string> {
  let build = builds.get(configPath);
  if (!build) {
    build = runWranglerBuild(configPath);
    builds.set(configPath, build);
    build.catch(() => builds.delete(configPath));
  }
  return build;
}

const run = promisify(execFile);

async function runWranglerBuild(configPath: string): Promise<string> {
  const outDir = mkdtempSync(join(tmpdir(), "router-build-"));
  process.once("exit", () => rmSync(outDir, { recursive: true, force: true }));
  const args = [WRANGLER_SCRIPT, "deploy", "--dry-run", "--outdir", outDir, "--config", configPath];
  try {
    await run(nodeBinary(), args, {
      cwd: dirname(configPath),
      env: wranglerEnv(),
      maxBuffer: 16 * 1024 * 1024,
    });
  } catch (error) {
    const detail = error instanceof Error && "stderr" in error ? String(error.stderr) : "";
    throw new Error(`wrangler build of ${configPath} failed\n${detail}`, { cause: error });
  }
  return join(outDir, "index.js");
}
