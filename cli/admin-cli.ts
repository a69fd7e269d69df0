// The operator CLI (cli/admin.ts) against DATABASE_URL, for what the HTTP API cannot do on a fresh
// database: `create-org --slug acme [--name "Acme"] [--platform]` prints the new organization and its
// first admin key (the secret is shown this once). Returns the exit code.
import { parseArgs } from "node:util";
import { drizzle } from "drizzle-orm/node-postgres";
import pg from "pg";
import * as schema from "../schema";
import { createOrganization, SLUG } from "../worker/organizations/create";

const USAGE = "usage: npm run admin -- create-org --slug <slug> [--name <name>] [--platform]";

export interface CliOutput {
  log(line: string): void;
  error(line: string): void;
}

export async function adminCli(argv: string[], env: NodeJS.ProcessEnv, out: CliOutput = console): Promise<number> {
  const [command, ...rest] = argv;
  if (command !== "create-org") {
    out.error(USAGE);
    return 2;
  }
  const { values } = parseArgs({
    args: rest,
    options: { slug: { type: "string" }, name: { type: "string" }, platform: { type: "boolean", default: false } },
  });
  const url = env.DATABASE_URL;
  if (!url) {
    out.error("DATABASE_URL is not set");
    return 2;
  }
  if (!values.slug || !SLUG.test(values.slug)) {
    out.error(`--slug must match ${SLUG}\n${USAGE}`);
    return 2;
  }
  const pool = new pg.Pool({ connectionString: url, max: 1 });
  try {
    const created = await createOrganization(drizzle({ client: pool, schema }), {
      slug: values.slug,
      name: values.name ?? values.slug,
      isPlatform: values.platform ?? false,
      keyName: "first admin key",
    });
    if (!created) {
      out.error(`organization ${values.slug} already exists`);
      return 1;
    }
    const { organization, adminKey, secret } = created;
    out.log(
      JSON.stringify(
        {
          organization: { id: organization.id, slug: organization.slug, is_platform: organization.isPlatform },
          admin_key: { id: adminKey.id, key: secret },
        },
        null,
        2,
      ),
    );
    return 0;
  } finally {
    await pool.end();
  }
}
