// Plays Neon's WebSocket proxy locally: the Worker's @neondatabase/serverless Pool opens
// ws://<proxy>/v2?address=host:port and speaks the Postgres wire protocol in binary frames,
// which this pipes to a plain TCP connection to any PostgreSQL (or pglite-socket).
import { createServer, type IncomingMessage } from "node:http";
import { connect, type Socket } from "node:net";
import type { Duplex } from "node:stream";
import { type RawData, type WebSocket, WebSocketServer } from "ws";
import { TerminateScanner } from "./pg-terminate";

export interface WsProxyOptions {
  /** 0 (default) picks a free port; kept across pause()/resume(). */
  port?: number;
  host?: string;
  /** Restricts targets: "host:port", or a predicate. Anything when absent. */
  allowedTarget?: string | ((host: string, port: number) => boolean);
}

export interface WsProxy {
  host: string;
  port: number;
  /** "host:port", the form DB_WS_PROXY and neonConfig.wsProxy expect. */
  address: string;
  /** WebSocket↔TCP pairs not yet torn down. */
  openConnections(): number;
  /** Stops listening and drops every connection, as if the database became unreachable. */
  pause(): Promise<void>;
  /** Listens again on the same port. */
  resume(): Promise<void>;
  stop(): Promise<void>;
}

/** Past this much unsent data towards the client, stop reading from Postgres. */
const HIGH_WATER = 4 * 1024 * 1024;

export async function startWsProxy(options: WsProxyOptions = {}): Promise<WsProxy> {
  const host = options.host ?? "127.0.0.1";
  const bridges = new Set<Teardown>();
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  const server = createServer((_req, res) => {
    res.writeHead(426, { "content-type": "text/plain" }).end("WebSocket upgrade required\n");
  });
  server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const target = parseTarget(req.url, options.allowedTarget);
    if (typeof target === "string") {
      socket.end(`HTTP/1.1 ${target}\r\nconnection: close\r\n\r\n`);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => bridges.add(bridge(ws, target, bridges)));
  });

  let port = options.port ?? 0;
  let listening = false;
  let stopped = false;
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, host, () => {
        server.off("error", reject);
        const address = server.address();
        if (typeof address === "object" && address) port = address.port;
        listening = true;
        resolve();
      });
    });
  const close = async () => {
    // A close frame, as Neon's proxy sends when Postgres drops, lets pools discard the client.
    for (const teardown of [...bridges]) teardown();
    if (!listening) return;
    listening = false;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await closed;
  };

  await listen();
  return {
    host,
    get port() {
      return port;
    },
    get address() {
      return `${host}:${port}`;
    },
    openConnections: () => bridges.size,
    pause: close,
    async resume() {
      if (stopped) throw new Error("ws proxy was stopped");
      if (!listening) await listen();
    },
    async stop() {
      stopped = true;
      await close();
      wss.close();
    },
  };
}

interface Target {
  host: string;
  port: number;
}

/** A Target, or the HTTP status line to refuse with. */
function parseTarget(url: string | undefined, allowed: WsProxyOptions["allowedTarget"]): Target | string {
  const parsed = new URL(url ?? "/", "http://proxy.invalid");
  if (parsed.pathname !== "/v2") return "404 Not Found";
  const address = parsed.searchParams.get("address") ?? "";
  const colon = address.lastIndexOf(":");
  const host = address.slice(0, colon).replace(/^\[(.*)\]$/, "$1");
  const port = Number(address.slice(colon + 1));
  if (colon <= 0 || !Number.isInteger(port) || port <= 0 || port > 65535) return "400 Bad Request";
  const ok =
    allowed === undefined || (typeof allowed === "string" ? allowed === `${host}:${port}` : allowed(host, port));
  return ok ? { host, port } : "403 Forbidden";
}

/** Closes both sides of a bridge; idempotent. */
type Teardown = () => void;

/** Pipes one WebSocket to one TCP connection; returns its teardown. */
function bridge(ws: WebSocket, target: Target, live: Set<Teardown>): Teardown {
  const tcp: Socket = connect({ host: target.host, port: target.port });
  tcp.setNoDelay(true);
  const scanner = new TerminateScanner();
  let done = false;
  const teardown: Teardown = () => {
    if (done) return;
    done = true;
    live.delete(teardown);
    tcp.destroy();
    if (ws.readyState === ws.OPEN) ws.close(1000);
    else ws.terminate();
  };

  ws.on("message", (data: RawData) => {
    if (done) return;
    const chunk = toBuffer(data);
    const terminated = scanner.feed(chunk);
    if (!tcp.write(chunk)) {
      ws.pause();
      tcp.once("drain", () => ws.resume());
    }
    // Real Postgres hangs up after Terminate; pglite-socket does not, so hang up for it.
    if (terminated) {
      tcp.end();
      // A server that never answers our FIN must not keep the bridge alive.
      setTimeout(teardown, 2_000).unref();
    }
  });
  tcp.on("data", (chunk: Buffer) => {
    scanner.server(chunk);
    if (ws.readyState !== ws.OPEN) return;
    ws.send(chunk, { binary: true }, () => {
      if (tcp.isPaused() && ws.bufferedAmount < HIGH_WATER) tcp.resume();
    });
    if (ws.bufferedAmount >= HIGH_WATER) tcp.pause();
  });
  tcp.on("close", teardown);
  tcp.on("error", teardown);
  ws.on("close", teardown);
  ws.on("error", teardown);
  return teardown;
}

function toBuffer(data: RawData): Buffer {
  if (Array.isArray(data)) return Buffer.concat(data);
  return data instanceof ArrayBuffer ? Buffer.from(data) : data;
}
