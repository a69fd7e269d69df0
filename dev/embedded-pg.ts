// Embedded PostgreSQL (PGlite, a WASM build of Postgres) served on a TCP port, so the same
// drivers and proxy that talk to a real server work on a machine with none installed.
// Caveat: every connection shares ONE backend, so queries are serialized and an open
// transaction on one connection blocks all the others until it ends.
import { mkdirSync } from "node:fs";
import { PGlite } from "@electric-sql/pglite";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";

export interface EmbeddedPgOptions {
  /** 0 picks a free port. */
  port?: number;
  host?: string;
  /** Persist here (e.g. ".data/pglite"); in memory when absent. */
  dataDir?: string;
  /** pglite-socket defaults to 1, which the router's per-request pools exhaust at once. */
  maxConnections?: number;
}

export interface EmbeddedPg {
  /** postgres://postgres@host:port/postgres (the database name is ignored by PGlite). */
  url: string;
  host: string;
  port: number;
  /** Connections currently attached to the socket server. */
  activeConnections(): number;
  stop(): Promise<void>;
}

export async function startEmbeddedPg(options: EmbeddedPgOptions = {}): Promise<EmbeddedPg> {
  const host = options.host ?? "127.0.0.1";
  if (options.dataDir) mkdirSync(options.dataDir, { recursive: true });
  const db = await PGlite.create(options.dataDir ? { dataDir: options.dataDir } : {});
  keepExtendedQueriesTogether(db);
  const server = new PGLiteSocketServer({
    db,
    host,
    port: options.port ?? 0,
    maxConnections: options.maxConnections ?? 100,
  });
  try {
    await server.start();
  } catch (error) {
    await db.close();
    throw error;
  }
  const port = Number(server.getServerConn().split(":").pop());
  let stopped = false;
  return {
    url: `postgres://postgres@${host}:${port}/postgres`,
    host,
    port,
    activeConnections: () => server.getStats().activeConnections,
    async stop() {
      if (stopped) return;
      stopped = true;
      await server.stop();
      // Closing flushes a persistent dataDir; PGlite refuses a second close.
      if (!db.closed) await db.close();
    },
  };
}

/** Frontend messages of the extended query protocol that leave a sequence open until Sync. */
const EXTENDED = new Set([0x50, 0x42, 0x44, 0x45, 0x43, 0x48]); // P B D E C H

/**
 * pglite-socket queues each protocol message on its own and, outside a transaction, takes the
 * next one from any connection. Two connections' Parse/Bind/Execute then interleave on the one
 * backend and a query runs another's unnamed statement: an UPDATE … RETURNING that comes back
 * empty, a SELECT that finds nothing. Its queue already keeps a connection's messages together
 * while `isInTransaction()` is true, so report true from a Parse until the Sync that ends it.
 */
function keepExtendedQueriesTogether(db: PGlite): void {
  let sequenceOpen = false;
  const exec = db.execProtocolRawStream.bind(db);
  const inTransaction = db.isInTransaction.bind(db);
  db.execProtocolRawStream = (message, options) => {
    sequenceOpen = EXTENDED.has(message[0] ?? 0);
    return exec(message, options);
  };
  db.isInTransaction = () => sequenceOpen || inTransaction();
}
