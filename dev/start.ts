// `npm start`: the whole local stack (see dev/stack.ts) with the router under `wrangler dev`.
// It stops everything — wrangler's workerd processes and PGlite included — on Ctrl-C, SIGTERM or
// SIGHUP, and when its parent goes away: npm forwards SIGTERM to the script, tsx relays only
// SIGINT/SIGTERM and dies on SIGHUP, and a parent killed outright forwards nothing.
import { type LocalStack, startLocalStack } from "./stack";
import { allPorts, assertPortsFree, readStartSettings, StartError } from "./start-env";

const PARENT_POLL_MS = 500;

async function main(): Promise<void> {
  const s = readStartSettings();
  await assertPortsFree(allPorts(s));

  const starting = new AbortController();
  let pending: Promise<LocalStack> | undefined;
  let stopping = false;
  const shutdown = (code: number, why: string): void => {
    if (stopping) return;
    stopping = true;
    console.log(`\nstopping (${why})…`);
    starting.abort();
    // A stack still starting stops what it started and rejects; one that started stops here.
    void (pending ?? Promise.reject(new Error("not started")))
      .then(
        (stack) => stack.stop(),
        () => {},
      )
      .finally(() => process.exit(code));
  };
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(signal, () => shutdown(0, signal));
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) shutdown(0, "parent exited");
  }, PARENT_POLL_MS).unref();

  pending = startLocalStack({
    database: { databaseUrl: s.databaseUrl, port: s.embeddedPg?.port, dataDir: s.embeddedPgDir },
    seed: { apiKey: s.apiKey, hosts: s.hosts, startHosts: true },
    wsProxy: { port: s.wsProxy.port },
    router: { runner: "wrangler", port: s.router.port, inspectorPort: s.inspector.port, persistTo: s.wranglerStateDir },
    hostDefaults: { tokenDelayMs: 5 },
    mockProvider: {},
    onPartExit: (part, code) => shutdown(code ?? 1, `${part} exited with code ${code}`),
    signal: starting.signal,
  });
  const stack = await pending.catch((error: unknown) => {
    if (stopping) return new Promise<never>(() => {}); // shutdown() exits
    throw error;
  });
  const { router, seed, database, hosts } = stack;
  if (!router || !seed || !database) throw new StartError("the stack started without a router, seed or database");
  console.log(`
  Router     ${router.url}   (OpenAI base URL: ${router.url}/v1)
  Dashboard  ${router.url}/dashboard   (sign in with the API key below)
  API key    ${seed.apiKey}
  Model      ${seed.modelId}  (or offering ${seed.offering})
  GPU hosts  ${hosts.map((h) => h.url).join(", ")}  (simulated)
  Database   psql ${database.url}${database.embedded ? `   (embedded, data in ${s.embeddedPgDir})` : ""}
  Inspector  127.0.0.1:${s.inspector.port} (wrangler devtools)

  export API_BASE_URL=${router.url} API_KEY=${seed.apiKey}
  Ctrl-C stops everything.
`);
}

main().catch((err: unknown) => {
  const known = err instanceof StartError || (err instanceof Error && "code" in err && err.code === "EADDRINUSE");
  console.error(`error: ${err instanceof Error ? err.message : String(err)}`);
  if (!known && process.env.DEBUG) console.error(err);
  process.exit(1);
});
