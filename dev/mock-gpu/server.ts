// The simulated GPU host: a vLLM-compatible OpenAI server on plain node:http, with fault injection
// and an optional heartbeat agent. Programmatic entry point; cli.ts wraps it.
import { createServer, type Server } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { HeartbeatAgent } from "./agent";
import { createHandler } from "./handler";
import { HostState } from "./state";
import type { MockGpu, MockGpuOptions } from "./types";

export type { Faults, MockGpu, MockGpuOptions, MockStats, WorkerStatus } from "./types";

const DEFAULT_MAX_MODEL_LEN = 32768;

export async function startMockGpu(o: MockGpuOptions): Promise<MockGpu> {
  const host = o.host ?? "127.0.0.1";
  const state = new HostState(o.workerStatus ?? "ready", o.reportedQueueDepth, o.maxNumSeqs);
  const loadMs = o.loadMs ?? 0;
  let loading = loadMs > 0;
  const loaded = loading
    ? sleep(loadMs, undefined, { ref: false }).then(() => {
        loading = false;
      })
    : Promise.resolve();
  const handler = createHandler(state, {
    apiKey: o.apiKey,
    engines: Math.max(1, o.engines ?? 2),
    loaded,
    servedModel: o.model,
    maxModelLen: o.maxModelLen ?? DEFAULT_MAX_MODEL_LEN,
    maxTokensDefault: o.maxTokensDefault,
    timing: { ttftMs: o.ttftMs ?? 0, tokenDelayMs: o.tokenDelayMs ?? 0 },
  });
  // noDelay: every SSE write leaves at once instead of waiting for Nagle coalescing.
  const server = createServer({ noDelay: true, keepAliveTimeout: 65_000 }, handler);
  server.on("connection", (socket: Socket) => {
    if (state.faults.refuse) return void socket.destroy();
    socket.setNoDelay(true);
  });
  // A client that sends garbage must not produce an unhandled 'error' anywhere.
  server.on("clientError", (_err, socket: Socket) => socket.destroy());

  const port = await listen(server, o.port ?? 0, host);
  const url = `http://${urlHost(host)}:${port}`;

  let agent: HeartbeatAgent | undefined;
  if (o.router && o.instanceId && o.token && !o.noAgent) {
    agent = new HeartbeatAgent({
      router: o.router,
      instanceId: o.instanceId,
      token: o.token,
      workerId: `mock-${port}`,
      modelId: o.model,
      baseUrl: o.publicUrl ?? url,
      heartbeatMs: o.heartbeatMs ?? 4000,
      // As a real agent: "starting" until vLLM answers.
      report: () => ({ status: loading ? "starting" : state.workerStatus, queueDepth: state.queueDepth }),
    });
    agent.start();
  }

  return {
    url,
    port,
    setFaults: (f) => {
      state.faults = { ...f };
    },
    stats: () => state.snapshot(),
    setWorkerStatus: (s) => {
      state.workerStatus = s;
    },
    setReportedQueueDepth: (n) => {
      state.reportedQueueDepth = n;
    },
    loaded,
    heartbeatNow: () => agent?.sendNow() ?? Promise.resolve(),
    close: async () => {
      agent?.stop();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections(); // also ends hung and streaming requests
      });
      // Destroyed sockets report 'close' a few loop turns later; wait so stats are final (bounded).
      await Promise.race([state.whenIdle(), sleep(1000, undefined, { ref: false })]);
    },
  };
}

/** Listen, rejecting (instead of emitting an unhandled 'error') when the port is taken. */
function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    server.once("error", onError);
    server.listen(port, host, () => {
      server.off("error", onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/** Clients cannot dial a wildcard address; IPv6 literals need brackets in URLs. */
function urlHost(host: string): string {
  if (host === "0.0.0.0") return "127.0.0.1";
  if (host === "::") return "[::1]";
  return host.includes(":") ? `[${host}]` : host;
}
