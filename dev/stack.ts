// The one composer of the local stack, used by `npm start`, the tests' global setup and stacks,
// the load suite and the benchmarks. Each part is optional and starts in dependency order —
// database, migrations, demo seed, the Neon-style ws proxy, the router (`wrangler dev` or
// Miniflare), simulated GPU hosts — and registers itself with one Stopper, so stop() takes
// everything down in reverse order, once. Hosts can also be added while the stack runs.

import type { Miniflare } from "miniflare";
import { type LocalDatabase, type LocalDatabaseOptions, openLocalDatabase } from "./database";
import { migrateDatabase } from "./migrate";
import { type MockGpu, type MockGpuOptions, startMockGpu } from "./mock-gpu/server";
import { type MockProvisioner, startMockProvisioner } from "./mock-provisioner";
import { type RouterOptions, startRouter } from "./router-miniflare";
import { startWranglerRouter } from "./router-wrangler";
import { DEMO_MODEL, type SeedOptions, type SeedResult, seedDemo } from "./seed";
import { type StopFn, Stopper } from "./stopper";
import { startWsProxy, type WsProxy, type WsProxyOptions } from "./ws-proxy";

export type RouterPart =
  | ({ runner: "miniflare" } & Partial<Omit<RouterOptions, "vars">> & { vars?: Record<string, string> })
  | {
      runner: "wrangler";
      port: number;
      inspectorPort?: number;
      persistTo?: string;
      configPath?: string;
      vars?: Record<string, string>;
    };

/** A simulated GPU host registered as instanceId with token; heartbeats to the stack's router. */
export type HostPart = Partial<MockGpuOptions> & { instanceId: string; token: string };

export interface LocalStackOptions {
  /** Open a database: DATABASE_URL's server, else embedded PGlite. Absent: no database part. */
  database?: LocalDatabaseOptions;
  /** Apply migrations to the database (default true when there is one). */
  migrate?: boolean;
  /** Write the demo data; with `startHosts`, a simulated host runs for each demo instance. */
  seed?: SeedOptions & { startHosts?: boolean };
  wsProxy?: WsProxyOptions;
  /** DATABASE_URL and DB_WS_PROXY are filled in from the parts above; `vars` go on top. */
  router?: RouterPart;
  /** Without a router part: the router the hosts heartbeat to. */
  routerUrl?: string;
  /** Options every host starts with (before its own). */
  hostDefaults?: Partial<MockGpuOptions>;
  hosts?: HostPart[];
  /**
   * The `mock` provider: the router accepts mock deployments without a base URL (MOCK_PROVISIONING=1)
   * and a poller on this side starts a simulated host for each (dev/mock-provisioner.ts). Needs a
   * router, and a database part or `databaseUrl`.
   */
  mockProvider?: { databaseUrl?: string; pollMs?: number };
  /** Called when a part stops by itself (wrangler exiting): the stack is then being stopped. */
  onPartExit?: (part: string, code: number | null) => void;
  log?: (line: string) => void;
  /** Aborting while the stack starts stops what has started and rejects. */
  signal?: AbortSignal;
}

export interface RunningRouter {
  url: string;
  port: number;
  /** Miniflare runner only: reach Durable Objects and bindings from Node. */
  mf?: Miniflare;
}

export interface LocalStack {
  database?: LocalDatabase;
  seed?: SeedResult;
  wsProxy?: WsProxy;
  router?: RunningRouter;
  hosts: MockGpu[];
  /** With `mockProvider`: instance id → the simulated host it started. */
  mockProvisioner?: MockProvisioner;
  /** Starts a simulated host now and waits for its first heartbeat to be accepted. */
  addHost(part: HostPart): Promise<MockGpu>;
  /** Registers something else to stop with the stack (before the parts started so far). */
  defer(name: string, stop: StopFn): void;
  /** Stops everything in reverse order of start; idempotent. */
  stop(): Promise<void>;
}

export async function startLocalStack(o: LocalStackOptions): Promise<LocalStack> {
  const log = o.log ?? (() => {});
  const stopper = new Stopper((name, error) => log(`stack: stopping ${name} failed: ${String(error)}`));
  const hosts: MockGpu[] = [];
  const stack: LocalStack = {
    hosts,
    defer: (name, stop) => stopper.defer(name, stop),
    stop: () => stopper.stop(),
    addHost: async (part) => {
      if (stopper.stopped) throw new Error("the stack is stopped");
      const routerUrl = stack.router?.url ?? o.routerUrl;
      const gpu = await startMockGpu({
        model: stack.seed?.modelId ?? DEMO_MODEL,
        ...o.hostDefaults,
        ...part,
        router: routerUrl,
      });
      stopper.defer(`simulated GPU host ${gpu.url}`, () => gpu.close());
      hosts.push(gpu);
      if (routerUrl) await gpu.heartbeatNow();
      log(`stack: simulated GPU host at ${gpu.url}`);
      return gpu;
    },
  };
  try {
    await startDataParts(o, stack, stopper, log);
    o.signal?.throwIfAborted();
    if (o.router) stack.router = await startRouterPart(o, o.router, stack, stopper);
    const seeded = o.seed?.startHosts ? seededHosts(stack.seed) : [];
    for (const part of [...seeded, ...(o.hosts ?? [])]) {
      o.signal?.throwIfAborted();
      await stack.addHost(part);
    }
    if (o.mockProvider) {
      const databaseUrl = o.mockProvider.databaseUrl ?? stack.database?.url;
      if (!databaseUrl || !stack.router) throw new Error("mockProvider needs a router and a database");
      const provisioner = await startMockProvisioner({
        databaseUrl,
        pollMs: o.mockProvider.pollMs,
        startHost: (part) => stack.addHost(part),
        log,
      });
      stopper.defer("mock provider", () => provisioner.stop());
      stack.mockProvisioner = provisioner;
    }
    return stack;
  } catch (error) {
    await stopper.stop();
    throw error;
  }
}

async function startDataParts(o: LocalStackOptions, stack: LocalStack, stopper: Stopper, log: (l: string) => void) {
  if (o.database) {
    const db = await openLocalDatabase(o.database);
    stopper.defer("database", () => db.stop());
    stack.database = db;
    log(
      `stack: database ${db.embedded ? "embedded PGlite" : "DATABASE_URL"} at ${db.url.replace(/:[^:@/]*@/, ":***@")}`,
    );
    if (o.migrate ?? true) await migrateDatabase(db.url);
    if (o.seed) stack.seed = await seedDemo(db.url, o.seed);
  }
  if (o.wsProxy) {
    const proxy = await startWsProxy(o.wsProxy);
    stopper.defer("ws proxy", () => proxy.stop());
    stack.wsProxy = proxy;
  }
}

/** Signs dashboard cookies on the local stack and in tests; never a production value. */
export const DEV_SESSION_SECRET = "dev-only-dashboard-session-secret-0123456789";

async function startRouterPart(
  o: LocalStackOptions,
  part: RouterPart,
  stack: LocalStack,
  stopper: Stopper,
): Promise<RunningRouter> {
  const vars: Record<string, string> = {
    ...(stack.database ? { DATABASE_URL: stack.database.url } : {}),
    ...(stack.wsProxy ? { DB_WS_PROXY: stack.wsProxy.address } : {}),
    ...(o.mockProvider ? { MOCK_PROVISIONING: "1" } : {}),
    // The local stack's only: production sets its own with `wrangler secret put SESSION_SECRET`.
    SESSION_SECRET: DEV_SESSION_SECRET,
    ...part.vars,
  };
  if (part.runner === "wrangler") {
    const router = await startWranglerRouter({
      port: part.port,
      inspectorPort: part.inspectorPort,
      persistTo: part.persistTo,
      configPath: part.configPath,
      vars,
      signal: o.signal,
      onExit: (code) => o.onPartExit?.("wrangler dev", code),
    });
    stopper.defer("router (wrangler dev)", () => router.dispose());
    o.log?.(`stack: router under wrangler dev at ${router.url}`);
    return router;
  }
  const router = await startRouter({ ...part, vars });
  stopper.defer("router (Miniflare)", () => router.dispose());
  o.log?.(`stack: router in workerd (Miniflare) at ${router.url}`);
  return { url: router.url, port: router.port, mf: router.mf };
}

/** One host per demo instance, on the port of its seeded base URL. */
function seededHosts(seed: SeedResult | undefined): HostPart[] {
  if (!seed) throw new Error("seed.startHosts needs a database part");
  return seed.instances.map((instance) => ({
    instanceId: instance.id,
    token: instance.token,
    port: Number(new URL(instance.baseUrl).port),
  }));
}
