// Starts the self-contained stack as two child processes (stack-server.ts): the control plane
// (database, proxy, router, pass-through worker) and the simulated GPU hosts. Their output —
// workerd's log line per request included — goes to one log file, not the console.
import { type ChildProcess, fork } from "node:child_process";
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort } from "../dev/ports";
import { exportRouterRef, type RouterSnapshot } from "./router-ref";
import type { ControlPlaneInfo, ControlPlaneOptions, HostsOptions, StackOptions, WranglerPart } from "./stack";
import type { StackMessage } from "./stack-server";

export interface StackProcess {
  baseUrl: string;
  apiKey: string;
  model: string;
  hostUrls: string[];
  passthroughUrl: string | null;
  description: string;
  logFile: string;
  stop(): Promise<void>;
}

const SERVER = fileURLToPath(new URL("./stack-server.ts", import.meta.url));
// A machine this busy (load average 20 on 2 cores) can take longer than the default to start a stack.
const READY_TIMEOUT_MS = Number(process.env.STACK_READY_TIMEOUT_MS) || 120_000;
const STOP_TIMEOUT_MS = 15_000;

function tail(file: string, lines = 15): string {
  try {
    return readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "";
  }
}

interface Child<T> {
  info: T;
  stop(): Promise<void>;
}

async function spawnChild<T>(
  role: "control" | "hosts",
  options: ControlPlaneOptions | HostsOptions,
  logFile: string,
): Promise<Child<T>> {
  const fd = openSync(logFile, "a");
  const child: ChildProcess = fork(SERVER, [], {
    execArgv: ["--import", "tsx"],
    stdio: ["ignore", fd, fd, "ipc"],
    env: { ...process.env, LOAD_STACK_ROLE: role, LOAD_STACK_OPTIONS: JSON.stringify(options) },
  });
  closeSync(fd); // the child holds its own copy
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const info = await new Promise<T>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`the stack's ${role} did not start within ${READY_TIMEOUT_MS / 1000} s; see ${logFile}`)),
      READY_TIMEOUT_MS,
    );
    child.on("message", (m: StackMessage) => {
      clearTimeout(timer);
      if (m.type === "ready") resolve(m.info as T);
      else reject(new Error(`the stack's ${role} failed to start: ${m.message}\n${tail(logFile)}`));
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`the stack's ${role} exited (code ${code}) before it was ready\n${tail(logFile)}`));
    });
  }).catch((err: unknown) => {
    child.kill("SIGKILL");
    throw err;
  });
  return {
    info,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      if (child.connected) child.send("stop");
      else child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Free ports and a fresh Durable Object store, so it runs beside an `npm start` and starts empty. */
async function wranglerPart(): Promise<WranglerPart> {
  const [port, inspectorPort] = [await freePort(), await freePort()];
  return { port, inspectorPort, persistTo: mkdtempSync(join(tmpdir(), "wrangler-state-")) };
}

export async function spawnStack(options: StackOptions, logFile: string): Promise<StackProcess> {
  mkdirSync(dirname(logFile), { recursive: true });
  closeSync(openSync(logFile, "w"));
  const hostPorts = await Promise.all(Array.from({ length: options.hosts }, () => freePort()));
  const snapshot: RouterSnapshot | undefined = options.routerRef ? exportRouterRef(options.routerRef) : undefined;
  const wrangler = options.runner === "wrangler" ? await wranglerPart() : undefined;
  const cleanUp = (): void => {
    snapshot?.remove();
    if (wrangler) rmSync(wrangler.persistTo, { recursive: true, force: true });
  };
  const control = await spawnChild<ControlPlaneInfo>(
    "control",
    { hostPorts, passthroughConfig: options.passthroughConfig, routerConfig: snapshot?.configPath, wrangler },
    logFile,
  ).catch((err: unknown) => {
    cleanUp();
    throw err;
  });
  const c = control.info;
  let hosts: Child<{ hostUrls: string[] }> | undefined;
  try {
    hosts = await spawnChild<{ hostUrls: string[] }>(
      "hosts",
      { ...options, routerUrl: c.routerUrl, model: c.model, instances: c.instances },
      logFile,
    );
  } catch (err) {
    await control.stop();
    cleanUp();
    throw err;
  }
  const hostText =
    options.hosts === 0
      ? "no GPU hosts"
      : `${options.hosts} simulated GPU host(s) (${options.hostStatus}, token delay ${options.tokenDelayMs} ms, ttft ${options.ttftMs} ms)`;
  const running = hosts;
  return {
    baseUrl: c.routerUrl,
    apiKey: c.apiKey,
    model: c.model,
    hostUrls: running.info.hostUrls,
    passthroughUrl: c.passthroughUrl,
    description: `self-contained: router ${snapshot ? `built from ${options.routerRef} (${snapshot.commit.slice(0, 10)})` : "built from the working tree"} ${wrangler ? "under wrangler dev" : "in workerd (Miniflare)"} at ${c.routerUrl}, ${hostText}, ${c.database}`,
    logFile,
    async stop() {
      await running.stop();
      await control.stop();
      cleanUp();
    },
  };
}
