// A self-contained stack for a load run or the benchmark: the same parts as `npm start` and the
// test global setup, from the same modules, with the router in workerd through Miniflare instead
// of `wrangler dev` (one process, no proxy hop). Two halves, each run in its own child process
// (stack-process.ts): the control plane — database (DATABASE_URL's server or embedded PGlite),
// migrations, demo seed, the Neon-style ws proxy, the router, an optional pass-through worker —
// and the simulated GPU hosts, so a PGlite batch write never blocks a host's event loop.
import { openLocalDatabase } from "../dev/database";
import { migrateDatabase } from "../dev/migrate";
import { startMockGpu } from "../dev/mock-gpu/server";
import { startRouter } from "../dev/router-miniflare";
import { DEMO_MODEL, seedDemo } from "../dev/seed";
import { startWsProxy } from "../dev/ws-proxy";
import type { StackConfig } from "./config";

export interface StackOptions extends StackConfig {
  /** Also run this pass-through worker (a wrangler config) in front of the first host: the benchmark's floor. */
  passthroughConfig?: string;
}

export interface ControlPlaneOptions {
  /** Ports the hosts will listen on (picked by the parent), seeded as the demo instances. */
  hostPorts: number[];
  passthroughConfig?: string;
  /** The router's wrangler config; the working tree's when absent. */
  routerConfig?: string;
}

/** Plain data, so it can cross a process boundary. */
export interface ControlPlaneInfo {
  routerUrl: string;
  apiKey: string;
  model: string;
  instances: { id: string; token: string; port: number }[];
  passthroughUrl: string | null;
  database: string;
}

export interface HostsOptions extends StackConfig {
  routerUrl: string;
  model: string;
  instances: { id: string; token: string; port: number }[];
}

export interface Running<T> {
  info: T;
  stop(): Promise<void>;
}

type Log = (line: string) => void;

/** Runs the stop functions in reverse order of start, ignoring failures. */
function stopper(): { stops: (() => Promise<void>)[]; stop: () => Promise<void> } {
  const stops: (() => Promise<void>)[] = [];
  return {
    stops,
    stop: async () => {
      for (const s of stops.reverse()) await s().catch(() => {});
    },
  };
}

export async function startControlPlane(o: ControlPlaneOptions, log: Log): Promise<Running<ControlPlaneInfo>> {
  const { stops, stop } = stopper();
  try {
    const db = await openLocalDatabase();
    stops.push(() => db.stop());
    log(
      `stack: database ${db.embedded ? "embedded PGlite" : "DATABASE_URL"} at ${db.url.replace(/:[^:@/]*@/, ":***@")}`,
    );
    await migrateDatabase(db.url);
    const seed = await seedDemo(db.url, {
      hosts: o.hostPorts.map((port, i) => ({ port, token: `load-worker-token-${i + 1}` })),
    });
    const proxy = await startWsProxy();
    stops.push(() => proxy.stop());
    const router = await startRouter({
      configPath: o.routerConfig,
      vars: { DATABASE_URL: db.url, DB_WS_PROXY: proxy.address },
    });
    stops.push(() => router.dispose());
    log(`stack: router in workerd (Miniflare) at ${router.url}`);
    let passthroughUrl: string | null = null;
    const firstPort = o.hostPorts[0];
    if (o.passthroughConfig && firstPort !== undefined) {
      const passthrough = await startRouter({
        configPath: o.passthroughConfig,
        vars: { UPSTREAM: `http://127.0.0.1:${firstPort}` },
      });
      stops.push(() => passthrough.dispose());
      passthroughUrl = passthrough.url;
      log(`stack: pass-through worker at ${passthroughUrl}`);
    }
    const instances = seed.instances.map((inst, i) => ({ id: inst.id, token: inst.token, port: o.hostPorts[i] ?? 0 }));
    const info = {
      routerUrl: router.url,
      apiKey: seed.apiKey,
      model: DEMO_MODEL,
      instances,
      passthroughUrl,
      database: db.embedded ? "embedded PGlite" : "external Postgres",
    };
    return { info, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

export async function startHosts(o: HostsOptions, log: Log): Promise<Running<{ hostUrls: string[] }>> {
  const { stops, stop } = stopper();
  try {
    const hostUrls: string[] = [];
    for (const inst of o.instances) {
      const gpu = await startMockGpu({
        port: inst.port,
        model: o.model,
        router: o.routerUrl,
        instanceId: inst.id,
        token: inst.token,
        tokenDelayMs: o.tokenDelayMs,
        ttftMs: o.ttftMs,
        heartbeatMs: 2_000,
        workerStatus: o.hostStatus,
      });
      stops.push(() => gpu.close());
      await gpu.heartbeatNow();
      hostUrls.push(gpu.url);
      log(
        `stack: simulated GPU host at ${gpu.url} (${o.hostStatus}, token delay ${o.tokenDelayMs} ms, ttft ${o.ttftMs} ms)`,
      );
    }
    return { info: { hostUrls }, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
