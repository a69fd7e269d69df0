// Runs once per `vitest run`, for both projects: a database (DATABASE_URL's server, else
// embedded PGlite), the ws proxy the Worker reaches it through, migrations and demo data.
// Tests share this database, so each creates its own orgs/keys/instances with unique names.
import type { TestProject } from "vitest/node";
import { startLocalStack } from "../dev/stack";

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const stack = await startLocalStack({ database: {}, seed: {}, wsProxy: {} });
  const { database, wsProxy, seed } = stack;
  if (!database || !wsProxy || !seed) {
    await stack.stop();
    throw new Error("global setup: the stack started without its database, proxy or seed");
  }
  project.provide("databaseUrl", database.url);
  project.provide("embeddedDatabase", database.embedded);
  project.provide("wsProxy", wsProxy.address);
  project.provide("seed", seed);
  return () => stack.stop();
}
