// Runs once per `vitest run`, for both projects: a database (DATABASE_URL's server, else
// embedded PGlite), the ws proxy the Worker reaches it through, migrations and demo data.
// Tests share this database, so each creates its own orgs/keys/instances with unique names.
import type { TestProject } from "vitest/node";
import { openLocalDatabase } from "../dev/database";
import { migrateDatabase } from "../dev/migrate";
import { seedDemo } from "../dev/seed";
import { startWsProxy } from "../dev/ws-proxy";

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const database = await openLocalDatabase();
  const proxy = await startWsProxy().catch(async (error: unknown) => {
    await database.stop();
    throw error;
  });
  try {
    await migrateDatabase(database.url);
    const seed = await seedDemo(database.url);
    project.provide("databaseUrl", database.url);
    project.provide("embeddedDatabase", database.embedded);
    project.provide("wsProxy", proxy.address);
    project.provide("seed", seed);
    return async () => {
      await proxy.stop();
      await database.stop();
    };
  } catch (error) {
    await proxy.stop();
    await database.stop();
    throw error;
  }
}
