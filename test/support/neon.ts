// Points the Neon serverless driver, from Node, at a local ws proxy, the way the Worker does
// when DB_WS_PROXY is set. neonConfig is global: the last call wins for new connections.
import { neonConfig, Pool } from "@neondatabase/serverless";
import ws from "ws";

export function useWsProxy(proxyAddress: string): void {
  neonConfig.webSocketConstructor = ws;
  neonConfig.wsProxy = (host, port) => `${proxyAddress}/v2?address=${host}:${port}`;
  neonConfig.useSecureWebSocket = false;
  neonConfig.pipelineTLS = false;
  neonConfig.pipelineConnect = false;
}

/** A Neon Pool that never reports errors as unhandled (a late "connection lost" after end()). */
export function neonPool(databaseUrl: string, max = 1): Pool {
  const pool = new Pool({ connectionString: databaseUrl, max, connectionTimeoutMillis: 5_000 });
  pool.on("error", () => {});
  return pool;
}
