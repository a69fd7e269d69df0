// `npm start`: the whole local stack, stopped together on Ctrl-C —
// database (embedded unless DATABASE_URL), migrations, demo seed, the WebSocket proxy that
// plays Neon's, two simulated GPU hosts, and the router under `wrangler dev`.
import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";
import { type LocalDatabase, openLocalDatabase } from "./database";
import { migrateDatabase } from "./migrate";
import { type MockGpu, startMockGpu } from "./mock-gpu/server";
import { DEFAULT_HOSTS, DEMO_MODEL, seedDemo } from "./seed";
import { startWsProxy, type WsProxy } from "./ws-proxy";

const PORT = Number(process.env.PORT ?? 8787);
const EMBEDDED_PG_PORT = Number(process.env.EMBEDDED_PG_PORT ?? 54329);
const WS_PROXY_PORT = Number(process.env.DB_WS_PROXY_PORT ?? 8788);

class StartError extends Error {}

function assertPortFree(port: number, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", () =>
      reject(
        new StartError(
          `port ${port} (${what}) is already in use; stop what holds it or set ${what === "router" ? "PORT" : "its env var"}`,
        ),
      ),
    );
    server.listen(port, "127.0.0.1", () => server.close(() => resolve()));
  });
}

async function waitForRouter(url: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new StartError(`wrangler dev exited with code ${child.exitCode}`);
    const ok = await fetch(`${url}/health`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new StartError("the router did not answer /health within 90 s");
}

async function main(): Promise<void> {
  const external = Boolean(process.env.DATABASE_URL);
  await assertPortFree(PORT, "router");
  await assertPortFree(WS_PROXY_PORT, "database proxy, DB_WS_PROXY_PORT");
  for (const h of DEFAULT_HOSTS) await assertPortFree(h.port, "simulated GPU host");
  if (!external) await assertPortFree(EMBEDDED_PG_PORT, "embedded Postgres, EMBEDDED_PG_PORT");

  const stops: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop().catch(() => {});
  };
  let shuttingDown = false;
  const shutdown = (code: number) => {
    if (shuttingDown) return;
    shuttingDown = true;
    console.log("\nstopping…");
    void stopAll().then(() => process.exit(code));
  };
  process.on("SIGINT", () => shutdown(0));
  process.on("SIGTERM", () => shutdown(0));

  try {
    const db: LocalDatabase = await openLocalDatabase({ port: EMBEDDED_PG_PORT, dataDir: ".data/pglite" });
    stops.push(() => db.stop());
    await migrateDatabase(db.url);
    const seed = await seedDemo(db.url, { apiKey: process.env.DEV_API_KEY, hosts: DEFAULT_HOSTS });

    const proxy: WsProxy = await startWsProxy({ port: WS_PROXY_PORT });
    stops.push(() => proxy.stop());

    const routerUrl = `http://127.0.0.1:${PORT}`;
    const hosts: MockGpu[] = [];
    for (const [i, h] of DEFAULT_HOSTS.entries()) {
      const instance = seed.instances[i];
      if (!instance) continue;
      const host = await startMockGpu({
        port: h.port,
        model: DEMO_MODEL,
        router: routerUrl,
        instanceId: instance.id,
        token: h.token,
        tokenDelayMs: 5,
      });
      hosts.push(host);
      stops.push(() => host.close());
    }

    const wrangler = spawn(
      "wrangler",
      [
        "dev",
        "--ip",
        "127.0.0.1",
        "--port",
        String(PORT),
        "--var",
        `DATABASE_URL:${db.url}`,
        "--var",
        `DB_WS_PROXY:${proxy.address}`,
        "--show-interactive-dev-session=false",
      ],
      {
        stdio: ["ignore", "inherit", "inherit"],
        env: { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false" },
      },
    );
    wrangler.once("error", (err) => {
      console.error(`error: cannot run wrangler (${err.message}); run \`npm install\` first`);
      shutdown(1);
    });
    stops.push(async () => {
      if (wrangler.exitCode === null) wrangler.kill("SIGTERM");
    });
    wrangler.once("exit", (code) => shutdown(code ?? 1));
    await waitForRouter(routerUrl, wrangler);
    await Promise.all(hosts.map((h) => h.heartbeatNow()));

    const psqlUrl = db.url;
    console.log(`
  Router     ${routerUrl}   (OpenAI base URL: ${routerUrl}/v1)
  API key    ${seed.apiKey}
  Model      ${DEMO_MODEL}  (or offering ${seed.offering})
  GPU hosts  ${hosts.map((h) => h.url).join(", ")}  (simulated)
  Database   psql ${psqlUrl}${db.embedded ? "   (embedded, data in .data/pglite)" : ""}

  export API_BASE_URL=${routerUrl} API_KEY=${seed.apiKey}
  Ctrl-C stops everything.
`);
  } catch (err) {
    await stopAll();
    throw err;
  }
}

main().catch((err: unknown) => {
  const known = err instanceof StartError || (err instanceof Error && "code" in err && err.code === "EADDRINUSE");
  console.error(`error: ${err instanceof Error ? err.message : String(err)}`);
  if (!known && process.env.DEBUG) console.error(err);
  process.exit(1);
});
