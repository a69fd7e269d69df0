// `npm start`'s settings, read from the environment once. Each port names the variable that moves
// it, so a "port in use" error can say exactly what to set.
import { createServer } from "node:net";
import { DEFAULT_HOSTS, type SeedHost } from "./seed";

export class StartError extends Error {}

export interface StartPort {
  port: number;
  what: string;
  env: string;
}

export interface StartSettings {
  router: StartPort;
  wsProxy: StartPort;
  /** Absent with DATABASE_URL: nothing embedded to listen. */
  embeddedPg?: StartPort;
  inspector: StartPort;
  hosts: SeedHost[];
  hostPorts: StartPort[];
  databaseUrl?: string;
  embeddedPgDir: string;
  /** wrangler dev's local Durable Object storage. */
  wranglerStateDir: string;
  apiKey?: string;
}

function port(env: NodeJS.ProcessEnv, name: string, fallback: number, what: string): StartPort {
  const raw = env[name];
  const value = raw === undefined || raw === "" ? fallback : Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > 65_535)
    throw new StartError(`${name}=${raw}: expected a TCP port (1–65535)`);
  return { port: value, what, env: name };
}

/** MOCK_GPU_PORTS="8101,8102": one simulated host per port, at most the demo's two instances. */
function hostPorts(env: NodeJS.ProcessEnv): StartPort[] {
  const raw = env.MOCK_GPU_PORTS;
  if (raw === undefined || raw === "")
    return DEFAULT_HOSTS.map((h) => ({ port: h.port, what: "simulated GPU host", env: "MOCK_GPU_PORTS" }));
  const parts = raw.split(",").map((p) => p.trim());
  if (parts.length > DEFAULT_HOSTS.length)
    throw new StartError(`MOCK_GPU_PORTS=${raw}: at most ${DEFAULT_HOSTS.length} ports (the demo's instances)`);
  return parts.map((p) => port({ MOCK_GPU_PORTS: p }, "MOCK_GPU_PORTS", 0, "simulated GPU host"));
}

export function readStartSettings(env: NodeJS.ProcessEnv = process.env): StartSettings {
  const databaseUrl = env.DATABASE_URL || undefined;
  const hosts = hostPorts(env);
  const settings: StartSettings = {
    router: port(env, "PORT", 8787, "router"),
    wsProxy: port(env, "DB_WS_PROXY_PORT", 8788, "database proxy"),
    embeddedPg: databaseUrl ? undefined : port(env, "EMBEDDED_PG_PORT", 54329, "embedded Postgres"),
    inspector: port(env, "WRANGLER_INSPECTOR_PORT", 9229, "wrangler's devtools inspector"),
    hostPorts: hosts,
    hosts: hosts.map((h, i) => ({ port: h.port, token: DEFAULT_HOSTS[i]?.token ?? `dev-worker-token-${i + 1}` })),
    databaseUrl,
    embeddedPgDir: env.EMBEDDED_PG_DIR || ".data/pglite",
    wranglerStateDir: env.WRANGLER_STATE_DIR || ".wrangler/state",
    apiKey: env.DEV_API_KEY || undefined,
  };
  const all = allPorts(settings);
  const seen = new Map<number, StartPort>();
  for (const p of all) {
    const other = seen.get(p.port);
    if (other)
      throw new StartError(`port ${p.port} is set for both ${other.what} (${other.env}) and ${p.what} (${p.env})`);
    seen.set(p.port, p);
  }
  return settings;
}

export function allPorts(s: StartSettings): StartPort[] {
  return [s.router, s.wsProxy, ...(s.embeddedPg ? [s.embeddedPg] : []), s.inspector, ...s.hostPorts];
}

/** Fails fast, before anything starts, naming the variable that moves a taken port. */
export async function assertPortsFree(ports: StartPort[]): Promise<void> {
  for (const p of ports) await assertPortFree(p);
}

function assertPortFree(p: StartPort): Promise<void> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", () =>
      reject(new StartError(`port ${p.port} (${p.what}) is already in use; stop what holds it or set ${p.env}`)),
    );
    server.listen(p.port, "127.0.0.1", () => server.close(() => resolve()));
  });
}
