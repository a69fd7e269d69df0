// Picks the local database: the server named by DATABASE_URL when set, else embedded PGlite,
// so a fresh machine with no PostgreSQL installed still gets a working stack.
import { startEmbeddedPg } from "./embedded-pg";

export interface LocalDatabase {
  url: string;
  /** True when PGlite runs inside this process (one backend, serialized queries). */
  embedded: boolean;
  /** Stops the embedded server; leaves an external one alone. */
  stop(): Promise<void>;
}

export interface LocalDatabaseOptions {
  /** Defaults to process.env.DATABASE_URL. */
  databaseUrl?: string;
  /** Embedded only: 0 or absent picks a free port. */
  port?: number;
  /** Embedded only: persist here; in memory when absent. */
  dataDir?: string;
}

export async function openLocalDatabase(options: LocalDatabaseOptions = {}): Promise<LocalDatabase> {
  const external = options.databaseUrl ?? process.env.DATABASE_URL;
  if (external) return { url: external, embedded: false, stop: async () => {} };
  const pg = await startEmbeddedPg({ port: options.port, dataDir: options.dataDir });
  return { url: pg.url, embedded: true, stop: () => pg.stop() };
}
