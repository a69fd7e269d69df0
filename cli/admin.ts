// Operator CLI against DATABASE_URL, for what the HTTP API cannot do on a fresh database:
//   npm run admin -- create-org --slug acme [--name "Acme"] [--platform]
// prints the new organization and its first admin key (the secret is shown this once).
import { parseArgs } from "node:util";
import { drizzle } from "drizzle-orm/node-postgres";
import pg from "pg";
import * as schema from "../schema";
import { createOrganization, SLUG } from "../worker/organizations/create";

const USAGE = "usage: npm run admin -- create-org --slug <slug> [--name <name>] [--platform]";

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command !== "create-org") {
    console.error(USAGE);
    return 2;
  }
  const { values } = parseArgs({
    args: rest,
    options: { slug: { type: "string" }, name: { type: "string" }, platform: { type: "boolean", default: false } },
  });
  const url = process.env.DATABASE_URL;
  if (!url) {
    console.error("DATABASE_URL is not set");
    return 2;
  }
  if (!values.slug || !SLUG.test(values.slug)) {
    console.error(`--slug must match ${SLUG}\n${USAGE}`);
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
      console.error(`organization ${values.slug} already exists`);
      return 1;
    }
    const { organization, adminKey, secret } = created;
    console.log(
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

process.exitCode = await main(process.argv.slice(2));
