// Child-process entry for one half of a self-contained stack (see stack-process.ts). The stack runs
// outside the load generator's process: embedded PGlite, the mock hosts and Miniflare's handling
// of workerd's log lines all burn CPU, and on the generator's event loop they would inflate every
// latency it measures. Role and options arrive in LOAD_STACK_ROLE / LOAD_STACK_OPTIONS; "ready"
// goes back over IPC, and the child stops when told to or when its parent goes away.
import { type ControlPlaneOptions, type HostsOptions, type Running, startControlPlane, startHosts } from "./stack";

export type StackMessage = { type: "ready"; info: unknown } | { type: "error"; message: string };

function send(message: StackMessage): void {
  process.send?.(message);
}

const log = (line: string): void => console.log(line);

async function start(): Promise<Running<unknown>> {
  const options: unknown = JSON.parse(process.env.LOAD_STACK_OPTIONS ?? "{}");
  const role = process.env.LOAD_STACK_ROLE;
  if (role === "control") return startControlPlane(options as ControlPlaneOptions, log);
  if (role === "hosts") return startHosts(options as HostsOptions, log);
  throw new Error(`unknown LOAD_STACK_ROLE ${String(role)}`);
}

async function main(): Promise<void> {
  const running = await start();
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    void running.stop().finally(() => process.exit(0));
  };
  process.on("message", (m: unknown) => {
    if (m === "stop") stop();
  });
  process.on("disconnect", stop);
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
  send({ type: "ready", info: running.info });
}

main().catch((err: unknown) => {
  console.error(err);
  send({ type: "error", message: err instanceof Error ? err.message : String(err) });
  process.exit(1);
});
