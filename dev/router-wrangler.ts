// Runs the router under `wrangler dev`, for `npm start`: the closest local copy of production,
// with live reload. Wrangler starts workerd processes of its own, so it runs in its own process
// group and is stopped by signalling the whole group: killing wrangler alone leaves workerd
// holding the ports.
import { type ChildProcess, spawn } from "node:child_process";
import { setTimeout as sleep } from "node:timers/promises";
import { nodeBinary, REPO, WRANGLER_SCRIPT, wranglerEnv } from "./wrangler-bin";

export interface WranglerRouterOptions {
  port: number;
  /** Plain-text bindings on top of wrangler.toml's [vars]. */
  vars: Record<string, string>;
  /** Wrangler's devtools inspector port (wrangler's own default is 9229). */
  inspectorPort?: number;
  /** Local Durable Object storage (`--persist-to`; wrangler's own default is .wrangler/state). */
  persistTo?: string;
  /** Another wrangler config (`--config`): a router built from a git ref (load/router-ref.ts). */
  configPath?: string;
  /** Called once if wrangler exits before stop() was asked for. */
  onExit?: (code: number | null) => void;
  readyTimeoutMs?: number;
  /** Aborting while it starts stops it and rejects. */
  signal?: AbortSignal;
}

export interface WranglerRouter {
  url: string;
  port: number;
  pid: number | undefined;
  dispose(): Promise<void>;
}

const GRACE_MS = 5_000;

export async function startWranglerRouter(o: WranglerRouterOptions): Promise<WranglerRouter> {
  const args = [WRANGLER_SCRIPT, "dev", "--ip", "127.0.0.1", "--port", String(o.port)];
  if (o.inspectorPort !== undefined) args.push("--inspector-port", String(o.inspectorPort));
  if (o.persistTo !== undefined) args.push("--persist-to", o.persistTo);
  if (o.configPath !== undefined) args.push("--config", o.configPath);
  for (const [name, value] of Object.entries(o.vars)) args.push("--var", `${name}:${value}`);
  args.push("--show-interactive-dev-session=false");
  const child = spawn(nodeBinary(), args, {
    cwd: REPO,
    detached: true, // its own process group, so workerd goes with it
    stdio: ["ignore", "inherit", "inherit"],
    env: wranglerEnv(),
  });
  let stopping = false;
  const exited = new Promise<number | null>((resolve) => {
    child.once("exit", (code) => resolve(code));
    child.once("error", () => resolve(null));
  });
  void exited.then((code) => {
    if (!stopping) o.onExit?.(code);
  });
  const url = `http://127.0.0.1:${o.port}`;
  const dispose = async (): Promise<void> => {
    stopping = true;
    await stopGroup(child, exited);
  };
  try {
    await waitForHealth(url, exited, o.readyTimeoutMs ?? 90_000, o.signal);
  } catch (error) {
    await dispose();
    throw error;
  }
  return { url, port: o.port, pid: child.pid, dispose };
}

async function waitForHealth(
  url: string,
  exited: Promise<number | null>,
  timeoutMs: number,
  signal: AbortSignal | undefined,
): Promise<void> {
  let exitCode: number | null | undefined;
  void exited.then((code) => {
    exitCode = code;
  });
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    signal?.throwIfAborted();
    if (exitCode !== undefined) throw new Error(`wrangler dev exited with code ${exitCode}`);
    const ok = await fetch(`${url}/health`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await sleep(300);
  }
  throw new Error(`the router did not answer ${url}/health within ${timeoutMs / 1000} s`);
}

/** SIGTERM to the group, then SIGKILL to whatever of it is left after the grace period. */
async function stopGroup(child: ChildProcess, exited: Promise<number | null>): Promise<void> {
  const pid = child.pid;
  if (pid === undefined) return;
  signalGroup(pid, "SIGTERM");
  const deadline = Date.now() + GRACE_MS;
  while (groupAlive(pid) && Date.now() < deadline) await sleep(50);
  if (groupAlive(pid)) signalGroup(pid, "SIGKILL");
  while (groupAlive(pid)) await sleep(20);
  await exited;
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // the group is gone already
  }
}

function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}
