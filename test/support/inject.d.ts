// What test/global-setup.ts provides to every test project (read with `inject(...)`).
import type { SeedResult } from "../../dev/seed";

declare module "vitest" {
  export interface ProvidedContext {
    /** postgres://… of the test database (embedded PGlite unless DATABASE_URL was set). */
    databaseUrl: string;
    /** True when the database is embedded PGlite: one backend, serialized queries. */
    embeddedDatabase: boolean;
    /** "127.0.0.1:<port>" of the shared WebSocket-to-TCP proxy; the Worker's DB_WS_PROXY. */
    wsProxy: string;
    /** The demo data (org "demo", "acme", models, offerings, admin key, two hosts). */
    seed: SeedResult;
  }
}
