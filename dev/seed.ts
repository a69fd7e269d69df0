// Demo data for `npm start` and the tests. Idempotent: every row is upserted on a natural or
// fixed key, so rerunning it refreshes the same rows instead of adding new ones.
// CLI: DATABASE_URL=postgres://… tsx dev/seed.ts   (prints the demo API key)
import { pathToFileURL } from "node:url";
import { drizzle } from "drizzle-orm/node-postgres";
import pg from "pg";
import * as schema from "../schema";
import {
  type AnyDb,
  type CreatedInstance,
  createApiKey,
  createInstance,
  createModel,
  createOffering,
  createOrg,
} from "./fixtures";

export const DEMO_MODEL = "Qwen/Qwen2.5-0.5B-Instruct";
export const INACTIVE_MODEL = "meta-llama/Llama-3.1-8B-Instruct";
/** Used when neither the option nor DEV_API_KEY is given. Never valid outside a dev database. */
export const DEFAULT_DEV_API_KEY = "sk-inv-dev00000000000000000000000000000";
/** Fixed so reruns update the same two hosts. */
export const DEMO_INSTANCE_IDS = [
  "00000000-0000-4000-8000-00000000d001",
  "00000000-0000-4000-8000-00000000d002",
] as const;
export const DEFAULT_HOSTS: readonly SeedHost[] = [
  { port: 8101, token: "dev-worker-token-1" },
  { port: 8102, token: "dev-worker-token-2" },
];

export interface SeedHost {
  port: number;
  token: string;
}

export interface SeedOptions {
  apiKey?: string;
  /** Mock GPU hosts on 127.0.0.1; at most two (the demo's fixed instance ids). */
  hosts?: readonly SeedHost[];
}

export interface SeedResult {
  apiKey: string;
  orgId: string;
  orgSlug: "demo";
  acmeOrgId: string;
  modelUuid: string;
  modelId: string;
  inactiveModelUuid: string;
  /** "demo/qwen-small" */
  offering: string;
  offeringId: string;
  /** "acme/qwen-private" */
  acmeOffering: string;
  acmeOfferingId: string;
  instances: CreatedInstance[];
}

export async function seedDemo(databaseUrl: string, options: SeedOptions = {}): Promise<SeedResult> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    // One transaction: a half-written demo never shows up, and on pglite it is one queue slot.
    return await drizzle({ client, schema }).transaction((tx) => seedRows(tx, options));
  } finally {
    await client.end();
  }
}

async function seedRows(db: AnyDb, options: SeedOptions): Promise<SeedResult> {
  const hosts = options.hosts ?? DEFAULT_HOSTS;
  if (hosts.length > DEMO_INSTANCE_IDS.length) throw new Error(`at most ${DEMO_INSTANCE_IDS.length} demo hosts`);

  const orgId = await createOrg(db, "demo", "Demo");
  const acmeOrgId = await createOrg(db, "acme", "Acme");
  const modelUuid = await createModel(db, {
    modelId: DEMO_MODEL,
    name: "Qwen2.5 0.5B Instruct",
    priceInputPer1k: "0.0005",
    priceOutputPer1k: "0.0015",
  });
  const inactiveModelUuid = await createModel(db, {
    modelId: INACTIVE_MODEL,
    name: "Llama 3.1 8B Instruct",
    isActive: false,
    priceInputPer1k: "0.001",
    priceOutputPer1k: "0.002",
  });
  const offeringId = await createOffering(db, {
    orgId,
    modelUuid,
    code: "qwen-small",
    priceInputPer1k: "0.0004",
    priceOutputPer1k: "0.0012",
  });
  const acmeOfferingId = await createOffering(db, {
    orgId: acmeOrgId,
    modelUuid,
    code: "qwen-private",
    priceInputPer1k: "0.0003",
    priceOutputPer1k: "0.0009",
  });
  const apiKey = await createApiKey(db, orgId, "admin", {
    key: options.apiKey ?? process.env.DEV_API_KEY ?? DEFAULT_DEV_API_KEY,
    name: "demo admin (dev)",
  });
  const instances: CreatedInstance[] = [];
  for (const [i, host] of hosts.entries()) {
    instances.push(
      await createInstance(db, {
        id: DEMO_INSTANCE_IDS[i],
        orgId,
        modelUuid,
        baseUrl: `http://127.0.0.1:${host.port}`,
        token: host.token,
        provider: "mock",
        status: "booting",
      }),
    );
  }
  return {
    apiKey,
    orgId,
    orgSlug: "demo",
    acmeOrgId,
    modelUuid,
    modelId: DEMO_MODEL,
    inactiveModelUuid,
    offering: "demo/qwen-small",
    offeringId,
    acmeOffering: "acme/qwen-private",
    acmeOfferingId,
    instances,
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const url = process.env.DATABASE_URL;
  if (!url) {
    console.error("DATABASE_URL is not set");
    process.exit(1);
  }
  seedDemo(url).then(
    (seed) => console.log(JSON.stringify(seed, null, 2)),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
