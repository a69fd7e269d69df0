// Drizzle over Neon's serverless driver. Workers may not share sockets across requests,
// so each unit of work opens a Pool and ends it when done.
import { neonConfig, Pool } from "@neondatabase/serverless";
import { drizzle, type NeonDatabase } from "drizzle-orm/neon-serverless";
import * as schema from "../schema";

export type Db = NeonDatabase<typeof schema>;

export interface DbConfig {
  DATABASE_URL: string;
  /** Local only: a WebSocket-to-TCP proxy standing in for Neon's. */
  DB_WS_PROXY?: string;
}

function configureDriver(config: DbConfig): void {
  const proxy = config.DB_WS_PROXY;
  if (!proxy) return;
  neonConfig.wsProxy = (host, port) => `${proxy}/v2?address=${host}:${port}`;
  neonConfig.useSecureWebSocket = false;
  neonConfig.pipelineTLS = false;
  neonConfig.pipelineConnect = false;
}

/** Runs `work` with a fresh connection pool and always releases it. */
export async function withDb<T>(config: DbConfig, work: (db: Db) => Promise<T>): Promise<T> {
  if (!config.DATABASE_URL) throw new Error("DATABASE_URL is not configured");
  configureDriver(config);
  // Bounded waits: a locked table or a stalled server must not hold a request (or an alarm) forever.
  const pool = new Pool({
    connectionString: config.DATABASE_URL,
    max: 1,
    connectionTimeoutMillis: 5_000,
    query_timeout: 10_000,
  });
  // A late "connection lost" after end() would otherwise surface as an unhandled rejection.
  pool.on("error", () => {});
  try {
    return await work(drizzle({ client: pool, schema }));
  } finally {
    await pool.end().catch(() => {});
  }
}
