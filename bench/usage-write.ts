// `npm run bench:usage-write`: what Postgres spends on one outbox flush (worker/usage/write-postgres.ts),
// for batches of 1, 65 and 500 events, over one kept connection as a shard holds it: (a) the usage
// write's statement sent as is, planned on every flush (how the write ran before it was a function),
// against (b) the function finops.write_usage_batch, whose plan the connection keeps. Both run the
// same SQL: (a) is the function's body, taken from its migration. Rounds interleave a and b; each
// flush runs in a transaction that is rolled back, so the database is left as it was.
// Embedded PGlite by default; DATABASE_URL=postgres://… measures a real server (a scratch database:
// it is migrated and seeded).
import { readFileSync } from "node:fs";
import pg from "pg";
import { openLocalDatabase } from "../dev/database";
import { migrateDatabase } from "../dev/migrate";
import { seedDemo } from "../dev/seed";
import { batchJson } from "../worker/usage/batch-json";
import { median } from "./overhead-probes";
import { benchUsageEvent } from "./usage-event";

const ROUNDS = Number(process.env.BENCH_ROUNDS) || 5;
const FLUSHES = Number(process.env.BENCH_FLUSHES) || 20;
const SIZES = [1, 65, 500];
const MIGRATION = new URL("../schema/migrations/0010_usage_write_function.sql", import.meta.url);

/** The function's one statement, with its parameter bound as $1 instead. */
function inlineStatement(): string {
  const text = readFileSync(MIGRATION, "utf8");
  const body = text.slice(text.indexOf("BEGIN\n") + "BEGIN\n".length, text.lastIndexOf("RETURN v_inserted;"));
  const statement = body
    .replace("json_to_recordset(p_batch)", "json_to_recordset($1::json)")
    .replace("INTO v_inserted ", "")
    .trim()
    .replace(/;$/, "");
  if (statement.includes("p_batch") || statement.includes("v_inserted"))
    throw new Error("the migration's function no longer has the shape this bench reads");
  return statement;
}

interface Ids {
  apiKeyId: string;
  organizationId: string;
  modelUuid: string;
  modelHfId: string;
  instanceId: string;
}

/** Milliseconds per flush of `size` events, the median of FLUSHES flushes. */
async function flushes(client: pg.PoolClient, ids: Ids, size: number, run: (json: string) => Promise<unknown>) {
  const times: number[] = [];
  for (let i = 0; i < FLUSHES; i++) {
    const json = batchJson(Array.from({ length: size }, (_, j) => benchUsageEvent(i * size + j, ids)));
    await client.query("BEGIN");
    const started = performance.now();
    await run(json);
    times.push(performance.now() - started);
    await client.query("ROLLBACK");
  }
  return median(times);
}

async function main(): Promise<void> {
  const database = await openLocalDatabase();
  try {
    await migrateDatabase(database.url);
    const seeded = await seedDemo(database.url);
    const pool = new pg.Pool({ connectionString: database.url, max: 2 });
    const key = await pool.query<{ id: string }>("SELECT id FROM api_keys WHERE organization_id = $1 LIMIT 1", [
      seeded.orgId,
    ]);
    const ids: Ids = {
      apiKeyId: key.rows[0]?.id ?? "",
      organizationId: seeded.orgId,
      modelUuid: seeded.modelUuid,
      modelHfId: seeded.modelId,
      instanceId: seeded.instances[0]?.id ?? "",
    };
    const statement = inlineStatement();
    // One connection each, kept for the whole run, as a shard keeps its own.
    const planned = await pool.connect();
    const kept = await pool.connect();
    const samples = new Map<string, number[]>();
    const add = (name: string, ms: number) => samples.set(name, [...(samples.get(name) ?? []), ms]);
    for (let round = 1; round <= ROUNDS; round++) {
      for (const size of SIZES) {
        add(`a ${size}`, await flushes(planned, ids, size, (json) => planned.query(statement, [json])));
        add(
          `b ${size}`,
          await flushes(kept, ids, size, (json) => kept.query("SELECT finops.write_usage_batch($1::json)", [json])),
        );
      }
      process.stderr.write(`bench: round ${round}/${ROUNDS}\n`);
    }
    planned.release();
    kept.release();
    await pool.end();
    console.log(
      `\nPostgres time per flush (${database.embedded ? "embedded PGlite" : "DATABASE_URL"}), median of ${ROUNDS} rounds of ${FLUSHES} flushes`,
    );
    console.log("events  (a) planned each flush      (b) function, kept plan      b/a");
    for (const size of SIZES) {
      const a = median(samples.get(`a ${size}`) ?? []);
      const b = median(samples.get(`b ${size}`) ?? []);
      const perEvent = (ms: number) => `${((ms * 1000) / size).toFixed(0).padStart(5)} µs/event`;
      console.log(
        `${String(size).padStart(6)}  ${a.toFixed(2).padStart(7)} ms ${perEvent(a)}   ${b.toFixed(2).padStart(7)} ms ${perEvent(b)}   ${(b / a).toFixed(2)}×`,
      );
    }
  } finally {
    await database.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
