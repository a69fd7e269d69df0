// A self-contained stack for a load run or the benchmark: the composer `npm start` and the
// tests use (dev/stack.ts), with the router in workerd through Miniflare (one process, no proxy
// hop) or, for `npm run bench:wrangler`, under `wrangler dev` as `npm start` runs it. Two halves,
// each run in its own child process (stack-process.ts): the control plane — database (DATABASE_URL's server or embedded PGlite),
// migrations, demo seed, the Neon-style ws proxy, the router, an optional pass-through worker —
// and the simulated GPU hosts, so a PGlite batch write never blocks a host's event loop.
import { startRouter } from "../dev/router-miniflare";
import { DEMO_MODEL } from "../dev/seed";
import { startLocalStack } from "../dev/stack";
import type { StackConfig } from "./config";

export interface StackOptions extends StackConfig {
  /** Also run this pass-through worker (a wrangler config) in front of the first host: the benchmark's floor. */
  passthroughConfig?: string;
  /** "wrangler": the router under `wrangler dev` (its proxy and workerd processes), as `npm start` runs it. */
  runner?: "miniflare" | "wrangler";
}

/** `wrangler dev`'s ports (picked by the parent) and its Durable Object storage. */
export interface WranglerPart {
  port: number;
  inspectorPort: number;
  persistTo: string;
}

export interface ControlPlaneOptions {
  /** Ports the hosts will listen on (picked by the parent), seeded as the demo instances. */
  hostPorts: number[];
  passthroughConfig?: string;
  /** The router's wrangler config; the working tree's when absent. */
  routerConfig?: string;
  /** Run the router under `wrangler dev` instead of Miniflare. */
  wrangler?: WranglerPart;
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

export async function startControlPlane(o: ControlPlaneOptions, log: Log): Promise<Running<ControlPlaneInfo>> {
  const stack = await startLocalStack({
    database: {},
    seed: { hosts: o.hostPorts.map((port, i) => ({ port, token: `load-worker-token-${i + 1}` })) },
    wsProxy: {},
    router: o.wrangler
      ? { runner: "wrangler", ...o.wrangler, configPath: o.routerConfig }
      : { runner: "miniflare", configPath: o.routerConfig },
    log,
  });
  try {
    const { database, seed, router } = stack;
    if (!database || !seed || !router) throw new Error("the control plane started without database, seed or router");
    let passthroughUrl: string | null = null;
    const firstPort = o.hostPorts[0];
    if (o.passthroughConfig && firstPort !== undefined) {
      const passthrough = await startRouter({
        configPath: o.passthroughConfig,
        vars: { UPSTREAM: `http://127.0.0.1:${firstPort}` },
      });
      stack.defer("pass-through worker", () => passthrough.dispose());
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
      database: database.embedded ? "embedded PGlite" : "external Postgres",
    };
    return { info, stop: () => stack.stop() };
  } catch (err) {
    await stack.stop();
    throw err;
  }
}

export async function startHosts(o: HostsOptions, log: Log): Promise<Running<{ hostUrls: string[] }>> {
  const stack = await startLocalStack({
    routerUrl: o.routerUrl,
    hostDefaults: {
      model: o.model,
      tokenDelayMs: o.tokenDelayMs,
      ttftMs: o.ttftMs,
      heartbeatMs: 2_000,
      workerStatus: o.hostStatus,
    },
    hosts: o.instances.map((inst) => ({ port: inst.port, instanceId: inst.id, token: inst.token })),
  });
  for (const gpu of stack.hosts)
    log(
      `stack: simulated GPU host at ${gpu.url} (${o.hostStatus}, token delay ${o.tokenDelayMs} ms, ttft ${o.ttftMs} ms)`,
    );
  return { info: { hostUrls: stack.hosts.map((h) => h.url) }, stop: () => stack.stop() };
}
