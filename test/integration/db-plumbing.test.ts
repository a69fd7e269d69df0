// The local database path the Worker uses: Neon serverless driver → ws proxy → Postgres.
// This file runs its own proxy (on the shared database) so stopping it disturbs no other test.

import { eq } from "drizzle-orm";
import { drizzle } from "drizzle-orm/neon-serverless";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import WebSocket from "ws";
import { TerminateScanner } from "../../dev/pg-terminate";
import { startWsProxy, type WsProxy } from "../../dev/ws-proxy";
import * as schema from "../../schema";
import { openTestDb, type TestDatabase } from "../support/db";
import { uniqueSlug } from "../support/fixtures";
import { neonPool, useWsProxy } from "../support/neon";
import { waitFor } from "../support/wait";

const databaseUrl = inject("databaseUrl");
const seed = inject("seed");
let proxy: WsProxy;
let direct: TestDatabase;

beforeAll(async () => {
  proxy = await startWsProxy();
  useWsProxy(proxy.address);
  direct = openTestDb();
});

afterAll(async () => {
  await proxy.stop();
  await direct.close();
});

const noConnectionsLeft = () => waitFor(() => proxy.openConnections() === 0, { what: "proxy connections to close" });

describe("Neon driver through the local ws proxy", () => {
  it("runs parameterized queries and reads the seeded data", async () => {
    const pool = neonPool(databaseUrl);
    try {
      const sum = await pool.query<{ n: number }>("select $1::int + 1 as n", [41]);
      expect(sum.rows).toEqual([{ n: 42 }]);
      const org = await pool.query<{ slug: string }>("select slug from organizations where id = $1", [seed.orgId]);
      expect(org.rows).toEqual([{ slug: "demo" }]);
      expect(proxy.openConnections()).toBe(1);
    } finally {
      await pool.end();
    }
    await noConnectionsLeft();
  });

  it("commits a transaction and rolls back a failed one", async () => {
    const pool = neonPool(databaseUrl);
    const db = drizzle({ client: pool, schema });
    const kept = uniqueSlug("tx-commit");
    const dropped = uniqueSlug("tx-rollback");
    try {
      await db.transaction(async (tx) => {
        await tx.insert(schema.organizations).values({ slug: kept, name: kept });
      });
      await expect(
        db.transaction(async (tx) => {
          await tx.insert(schema.organizations).values({ slug: dropped, name: dropped });
          throw new Error("abort on purpose");
        }),
      ).rejects.toThrow("abort on purpose");
    } finally {
      await pool.end();
    }
    // Checked over a direct connection, not through the proxy under test.
    const slugsNamed = async (slug: string) =>
      (await direct.db.select().from(schema.organizations).where(eq(schema.organizations.slug, slug))).length;
    expect(await slugsNamed(kept)).toBe(1);
    expect(await slugsNamed(dropped)).toBe(0);
    await noConnectionsLeft();
  });

  it("leaks no connection over 50 pools opened and ended in a row", async () => {
    for (let i = 0; i < 50; i++) {
      const pool = neonPool(databaseUrl);
      const { rows } = await pool.query<{ i: number }>("select $1::int as i", [i]);
      expect(rows[0]?.i).toBe(i);
      await pool.end();
    }
    // Each bridge closes only once its TCP side has closed, so 0 means Postgres let go too.
    await noConnectionsLeft();
    expect(proxy.openConnections()).toBe(0);
  });

  it("fails while the proxy is down and works again once it is back on the same port", async () => {
    const address = proxy.address;
    const idle = neonPool(databaseUrl);
    await idle.query("select 1");
    expect(proxy.openConnections()).toBe(1);

    await proxy.pause();
    expect(proxy.openConnections()).toBe(0);
    const down = neonPool(databaseUrl);
    await expect(down.query("select 1")).rejects.toThrow();
    await down.end().catch(() => {});

    await proxy.resume();
    expect(proxy.address).toBe(address);
    // The pool dropped its dead connection and opens a new one.
    expect((await idle.query<{ ok: number }>("select 1 as ok")).rows).toEqual([{ ok: 1 }]);
    await idle.end();
    await noConnectionsLeft();
  });

  it("serves again after a full stop and a new proxy on the same port", async () => {
    const port = proxy.port;
    await proxy.stop();
    const down = neonPool(databaseUrl);
    await expect(down.query("select 1")).rejects.toThrow();
    await down.end().catch(() => {});

    proxy = await startWsProxy({ port });
    const pool = neonPool(databaseUrl);
    expect((await pool.query<{ ok: number }>("select 1 as ok")).rows).toEqual([{ ok: 1 }]);
    await pool.end();
    await noConnectionsLeft();
  });

  it("refuses targets outside allowedTarget and paths other than /v2", async () => {
    const guarded = await startWsProxy({ allowedTarget: "127.0.0.1:1" });
    try {
      expect(await upgradeStatus(`ws://${guarded.address}/v2?address=127.0.0.1:5432`)).toBe(403);
      expect(await upgradeStatus(`ws://${guarded.address}/v1?address=127.0.0.1:1`)).toBe(404);
      expect(await upgradeStatus(`ws://${guarded.address}/v2?address=nowhere`)).toBe(400);
      expect(guarded.openConnections()).toBe(0);
    } finally {
      await guarded.stop();
    }
  });
});

/** The HTTP status a WebSocket upgrade is refused with (101 if accepted). */
function upgradeStatus(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url);
    socket.on("unexpected-response", (_req, res) => {
      resolve(res.statusCode ?? 0);
      socket.terminate();
    });
    socket.on("open", () => {
      resolve(101);
      socket.terminate();
    });
    socket.on("error", reject);
  });
}

describe("TerminateScanner", () => {
  const startup = Buffer.concat([int32(8 + 10), int32(196608), Buffer.from("user\0pg\0\0\0")]);
  const query = Buffer.concat([Buffer.from("Q"), int32(4 + 9), Buffer.from("select 1\0")]);
  const terminate = Buffer.concat([Buffer.from("X"), int32(4)]);

  it("spots Terminate even when frames split messages anywhere", () => {
    const stream = Buffer.concat([startup, query, query, terminate]);
    for (let cut = 1; cut < stream.length; cut++) {
      const scanner = new TerminateScanner();
      expect(scanner.feed(stream.subarray(0, cut))).toBe(false);
      expect(scanner.feed(stream.subarray(cut))).toBe(true);
    }
  });

  it("ignores an 'X' byte inside other messages and after an SSL upgrade", () => {
    const tricky = Buffer.concat([Buffer.from("Q"), int32(4 + 6), Buffer.from("X\0\0\0\x04\0")]);
    expect(new TerminateScanner().feed(Buffer.concat([startup, tricky]))).toBe(false);

    const tls = new TerminateScanner();
    expect(tls.feed(Buffer.concat([int32(8), int32(80877103)]))).toBe(false);
    tls.server(Buffer.from("S"));
    expect(tls.feed(terminate)).toBe(false);
  });
});

function int32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
}
