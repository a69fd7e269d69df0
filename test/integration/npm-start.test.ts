// `npm start` as a user runs it on a fresh clone — its own embedded database and wrangler state,
// every port moved to a free one through its env vars — serves the seed plan's five scripts; a mock
// instance created through the API serves and is gone after its delete; a SIGTERM to the npm
// process alone stops every process it started and frees every port it, or the mock provider, took;
// and started again on the same state, a session keeps its host, its pin and its totals.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../dev/ports";
import { DEMO_INSTANCE_IDS, DEMO_MODEL } from "../../dev/seed";
import { REPO } from "../../dev/wrangler-bin";
import { descendants, listening, type ProcessInfo, stillRunning } from "../support/processes";
import { runScript } from "../support/scripts";
import { waitFor, waitForValue } from "../support/wait";

const BANNER = "Ctrl-C stops everything.";
const state = mkdtempSync(join(tmpdir(), "npm-start-"));
let ports: Record<string, string> = {};
/** Every URL that something of the stack listened on: its ports, then the mock hosts'. */
const urls: string[] = [];
let base = "";
let apiKey = "";
let databaseUrl = "";

interface Running {
  npm: ChildProcess;
  exited: Promise<number | null>;
  output: string;
}
let running: Running | undefined;
/** What a stop found under npm and has not yet seen gone: afterAll's to clean up if a check failed. */
let unchecked: ProcessInfo[] = [];

/** A shell without this run's settings: no test database, no coverage, no vitest. */
function userEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of Object.keys(env))
    if (name === "DATABASE_URL" || name === "DEV_API_KEY" || name === "COVERAGE" || name.startsWith("VITEST"))
      delete env[name];
  delete env.NODE_ENV;
  return { ...env, ...ports, EMBEDDED_PG_DIR: join(state, "pglite"), WRANGLER_STATE_DIR: join(state, "wrangler") };
}

/** `npm start`, until its banner; the URLs it prints. */
async function start(): Promise<void> {
  const npm = spawn("npm", ["start"], { cwd: REPO, stdio: ["ignore", "pipe", "pipe"], env: userEnv() });
  const run: Running = { npm, exited: new Promise((resolve) => npm.once("exit", resolve)), output: "" };
  running = run;
  npm.stdout?.on("data", (d: Buffer) => (run.output += d.toString()));
  npm.stderr?.on("data", (d: Buffer) => (run.output += d.toString()));
  let gone = false;
  void run.exited.then(() => (gone = true));
  await waitFor(() => gone || run.output.includes(BANNER), { timeoutMs: 180_000, intervalMs: 250, what: "the banner" });
  expect(gone, run.output).toBe(false);
  base = run.output.match(/Router {5}(\S+)/)?.[1] ?? "";
  apiKey = run.output.match(/API key {4}(\S+)/)?.[1] ?? "";
  databaseUrl = run.output.match(/Database {3}psql (\S+)/)?.[1] ?? "";
  expect(base).toBe(`http://127.0.0.1:${ports.PORT}`);
  expect(databaseUrl).toBe(`postgres://postgres@127.0.0.1:${ports.EMBEDDED_PG_PORT}/postgres`);
}

/** SIGTERM to npm alone; then nothing it started may run, nothing of the stack may listen. */
async function stopAndCheck(): Promise<void> {
  const run = running;
  if (!run?.npm.pid) throw new Error("npm start is not running");
  const started = descendants(run.npm.pid);
  unchecked = started;
  expect(started.map((p) => p.comm)).toContain("workerd");
  run.npm.kill("SIGTERM");
  await run.exited;
  running = undefined;
  // tsx's esbuild service exits by itself once its stdin closes, a moment after.
  await waitFor(() => stillRunning(started).length === 0, { timeoutMs: 10_000 }).catch(() => {});
  expect(stillRunning(started)).toEqual([]);
  unchecked = [];
  const open = [];
  for (const url of urls) if (await listening(url)) open.push(url);
  expect(open).toEqual([]);
  expect(run.output).toContain("stopping (SIGTERM)");
}

const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${apiKey}`, ...(body ? { "content-type": "application/json" } : {}), ...headers },
    body: body ? JSON.stringify(body) : undefined,
  });
  return {
    status: response.status,
    headers: response.headers,
    body: (await response.json()) as Record<string, unknown>,
  };
};

const scriptEnv = (extra: Record<string, string> = {}) => ({ API_BASE_URL: base, API_KEY: apiKey, ...extra });

beforeAll(async () => {
  const [router, proxy, pg, inspector, host1, host2] = await Promise.all([1, 2, 3, 4, 5, 6].map(() => freePort()));
  ports = {
    PORT: String(router),
    DB_WS_PROXY_PORT: String(proxy),
    EMBEDDED_PG_PORT: String(pg),
    WRANGLER_INSPECTOR_PORT: String(inspector),
    MOCK_GPU_PORTS: `${host1},${host2}`,
  };
  urls.push(...[router, proxy, pg, inspector, host1, host2].map((p) => `http://127.0.0.1:${p}`));
  await start();
}, 240_000);

afterAll(async () => {
  // Only if a test failed before its stop: stop it all, then whatever is left of what it started.
  const run = running;
  if (run?.npm.pid && run.npm.exitCode === null && run.npm.signalCode === null) {
    unchecked = descendants(run.npm.pid);
    run.npm.kill("SIGTERM");
    await Promise.race([run.exited, new Promise((r) => setTimeout(r, 15_000))]);
  }
  for (const p of stillRunning(unchecked)) process.kill(p.pid, "SIGKILL");
  rmSync(state, { recursive: true, force: true });
}, 30_000);

describe("npm start", () => {
  it("serves the seed's three scripts on its two simulated hosts", async () => {
    const session = await runScript("test_chat_session.sh", scriptEnv());
    expect(session.code, session.out).toBe(0);
    const pinned = [...session.out.matchAll(/completed \(instance ([0-9a-f-]+)\)/g)].map((m) => m[1]);
    expect(pinned).toHaveLength(2);
    expect(pinned[1]).toBe(pinned[0]);
    expect(DEMO_INSTANCE_IDS).toContain(pinned[0]);

    const spread = await runScript("test_load_balancing.sh", scriptEnv());
    expect(spread.code, spread.out).toBe(0);
    const perInstance = new Map(
      [...spread.out.matchAll(/instance ([0-9a-f-]+): (\d+)/g)].map((m) => [m[1], Number(m[2])]),
    );
    expect([...perInstance.keys()].sort()).toEqual([...DEMO_INSTANCE_IDS].sort());
    expect([...perInstance.values()].reduce((a, b) => a + b, 0)).toBe(10);

    const tokens = await runScript("test_token_tracking.sh", scriptEnv());
    expect(tokens.code, tokens.out).toBe(0);
    const [, input, output, total] = tokens.out.match(/input=(\d+), output=(\d+), total=(\d+)/) ?? [];
    expect(Number(input)).toBeGreaterThan(0);
    expect(Number(input) + Number(output)).toBe(Number(total));
  }, 120_000);

  it("creates a mock instance by API that serves, and is gone after delete", async () => {
    const created = await call("POST", "/deployments", { provider: "mock", model: DEMO_MODEL });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ provider: "mock", status: "provisioning", base_url: "" });
    const id = String(created.body.id);
    const since = Date.now();
    await waitFor(async () => (await call("GET", `/instances/${id}`)).body.status === "ready", {
      timeoutMs: 30_000,
      intervalMs: 100,
      what: "the mock instance to be ready",
    });
    const hostUrl = String((await call("GET", `/instances/${id}`)).body.base_url);
    expect(hostUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    urls.push(hostUrl);
    // The two demo hosts serve the model too; the new one, idle, is picked within a few requests.
    let servedBy = "";
    for (let i = 0; i < 20 && servedBy !== id; i++) {
      const answer = await call("POST", "/v1/chat/completions", {
        model: DEMO_MODEL,
        messages: [{ role: "user", content: `Hello ${i}` }],
      });
      expect(answer.status).toBe(200);
      servedBy = answer.headers.get("x-inventiv-instance") ?? "";
    }
    expect(servedBy).toBe(id);
    console.log(`figure: npm start, POST /deployments (mock) → served by its host ${Date.now() - since} ms`);

    expect((await call("DELETE", `/instances/${id}`)).status).toBe(200);
    await waitFor(async () => (await call("GET", `/instances/${id}`)).body.status === "terminated", {
      timeoutMs: 30_000,
      what: "the instance to be terminated",
    });
    await waitFor(async () => !(await listening(hostUrl)), { timeoutMs: 30_000, what: "the mock host to stop" });
  }, 90_000);

  it("passes the seed's two mock E2E scripts, which clean up after themselves", async () => {
    const single = await runScript(
      "test_worker_observability_mock.sh",
      scriptEnv({ DATABASE_URL: databaseUrl }),
      300_000,
    );
    expect(single.code, single.out).toBe(0);
    const [, id] = single.out.match(/mock instance ([0-9a-f-]{36}) created/) ?? [];
    expect(single.out).toContain(`✅ instance_request_metrics for ${id}: requests=3,`);
    expect(single.out).toMatch(new RegExp(`finops.inference_usage for ${id}: rows=3, `));
    expect(single.out).toContain(`🧹 deleted instance ${id} (HTTP 200)`);

    const multi = await runScript(
      "test_worker_observability_mock_multi.sh",
      scriptEnv({ DATABASE_URL: databaseUrl }),
      300_000,
    );
    // On failure, how routing saw the hosts then (routable, probes, load) and what npm start logged.
    const fleet = multi.code === 0 ? "" : JSON.stringify((await call("GET", "/instances")).body, null, 1);
    expect(multi.code, `${multi.out}\n${fleet}\n${running?.output.slice(-4000)}`).toBe(0);
    const ids = [...multi.out.matchAll(/mock instance ([0-9a-f-]{36}) created/g)].map((m) => m[1] ?? "");
    expect(ids).toHaveLength(3);
    expect(multi.out).toMatch(/✅ sticky: 4 requests of session [0-9a-f-]+ all on instance [0-9a-f-]{36}/);
    for (const mockId of ids) expect(multi.out).toContain(`🧹 deleted instance ${mockId} (HTTP 200)`);
    for (const mockId of [id ?? "", ...ids]) {
      const row = await call("GET", `/instances/${mockId}`);
      urls.push(String(row.body.base_url));
      await waitFor(async () => (await call("GET", `/instances/${mockId}`)).body.status === "terminated", {
        timeoutMs: 30_000,
        what: `instance ${mockId} to be terminated`,
      });
    }
  }, 600_000);

  const session = crypto.randomUUID();
  const messages: { role: string; content: string }[] = [];
  const turn = async (content: string) => {
    messages.push({ role: "user", content });
    const answer = await call(
      "POST",
      "/v1/chat/completions",
      { model: DEMO_MODEL, messages },
      { "x-inventiv-session": session },
    );
    expect(answer.status).toBe(200);
    const choices = answer.body.choices as { message: { content: string } }[];
    messages.push({ role: "assistant", content: choices[0]?.message.content ?? "" });
    return {
      instance: answer.headers.get("x-inventiv-instance") ?? "",
      usage: answer.body.usage as { total_tokens: number },
    };
  };
  /** The session as GET /v1/sessions/{id} shows it, once its usage has reached Postgres. */
  const settled = (requests: number, tokens: number) =>
    waitForValue(
      async () => (await call("GET", `/v1/sessions/${session}`)).body,
      (v) => v.requests === requests && v.total_tokens === tokens,
      { timeoutMs: 20_000, what: `the session at ${requests} requests, ${tokens} tokens` },
    );
  let before: Record<string, unknown> = {};
  let pinned = "";

  it("pins a multi-turn session to one host", async () => {
    const turns = [await turn("Hello"), await turn("What is 2+2?")];
    pinned = turns[0]?.instance ?? "";
    expect(DEMO_INSTANCE_IDS).toContain(pinned);
    expect(turns[1]?.instance).toBe(pinned);
    before = await settled(
      2,
      turns.reduce((sum, t) => sum + t.usage.total_tokens, 0),
    );
    expect(before).toMatchObject({
      instance_id: pinned,
      pin: { instance_id: pinned, requests_routed: 2 },
    });
  }, 60_000);

  it("stops everything it started on a SIGTERM to the npm process alone", stopAndCheck, 60_000);

  it("started again on the same state, keeps the session's host, pin and totals, then stops clean", async () => {
    // wrangler dev kept its Durable Objects where WRANGLER_STATE_DIR said, not in the clone.
    expect(readdirSync(join(state, "wrangler", "v3"))).toContain("do");
    await start();
    // Before any new request: the pin is the one stored before the restart, untouched.
    expect((await call("GET", `/v1/sessions/${session}`)).body).toEqual(before);
    const next = await turn("And 3+3?");
    expect(next.instance).toBe(pinned);
    const after = await settled(3, Number(before.total_tokens) + next.usage.total_tokens);
    expect(after).toMatchObject({
      instance_id: pinned,
      pin: { ...(before.pin as object), requests_routed: 3 },
    });
    await stopAndCheck();
  }, 300_000);
});
