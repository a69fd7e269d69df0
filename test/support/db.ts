// Node-side database access for assertions in integration tests (node-postgres + drizzle).
import { drizzle, type NodePgDatabase } from "drizzle-orm/node-postgres";
import pg from "pg";
import { inject } from "vitest";
import * as schema from "../../schema";

export type TestDb = NodePgDatabase<typeof schema>;

export interface TestDatabase {
  db: TestDb;
  pool: pg.Pool;
  close(): Promise<void>;
}

/** Opens a small pool on the test database; call close() in afterAll. */
export function openTestDb(databaseUrl: string = inject("databaseUrl")): TestDatabase {
  // Few connections: on embedded PGlite they all share one backend anyway.
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 4, idleTimeoutMillis: 1_000 });
  pool.on("error", () => {});
  return { db: drizzle({ client: pool, schema }), pool, close: () => pool.end() };
}
