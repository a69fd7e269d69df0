// Drizzle over Neon's serverless driver. Workers may not share sockets across requests,
// so each unit of work in a Worker opens a Pool and ends it when done; a Durable Object keeps one.
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

function newPool(connectionString: string): Pool {
  // Bounded waits: a locked table or a stalled server must not hold a request (or an alarm) forever.
  const pool = new Pool({ connectionString, max: 1, connectionTimeoutMillis: 5_000, query_timeout: 10_000 });
  // An idle connection dropped by the server, or a late "connection lost" after end(), would
  // otherwise surface as an unhandled rejection.
  pool.on("error", () => {});
  return pool;
}

/** Runs `work` with a fresh connection pool and always releases it. */
export async function withDb<T>(config: DbConfig, work: (db: Db) => Promise<T>): Promise<T> {
  if (!config.DATABASE_URL) throw new Error("DATABASE_URL is not configured");
  configureDriver(config);
  const pool = newPool(config.DATABASE_URL);
  try {
    return await work(drizzle({ client: pool, schema }));
  } finally {
    await pool.end().catch(() => {});
  }
}

/**
 * One pool kept across units of work, for a Durable Object (whose I/O may span its requests and
 * alarms): a flush every 200 ms must not pay a connection set-up each time. After a failed unit of
 * work the pool is ended and the next one starts afresh, so a connection a Postgres outage broke
 * is never reused.
 */
export class KeptPool {
  private pool: Pool | null = null;
  private db: Db | null = null;
  /** Pools created so far: a figure for the outbox's status, and what its test counts. */
  created = 0;

  constructor(private readonly config: DbConfig) {}

  async run<T>(work: (db: Db) => Promise<T>): Promise<T> {
    if (!this.config.DATABASE_URL) throw new Error("DATABASE_URL is not configured");
    if (!this.pool || !this.db) {
      configureDriver(this.config);
      this.pool = newPool(this.config.DATABASE_URL);
      this.db = drizzle({ client: this.pool, schema });
      this.created += 1;
    }
    try {
      return await work(this.db);
    } catch (err) {
      this.discard();
      throw err;
    }
  }

  /** Ends the pool (after an error, or when the object goes idle). */
  discard(): void {
    const pool = this.pool;
    this.pool = null;
    this.db = null;
    pool?.end().catch(() => {});
  }
}
