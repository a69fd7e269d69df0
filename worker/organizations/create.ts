// Creating an organization with its first admin key: one transaction, shared by
// POST /organizations and the `npm run admin -- create-org` CLI (any drizzle Postgres driver).
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import * as schema from "../../schema";
import { newApiKeySecret, storedForm } from "../api-keys/secret";

export type AnyPg = PgDatabase<PgQueryResultHKT, typeof schema>;

export interface NewOrganization {
  slug: string;
  name: string;
  isPlatform: boolean;
  keyName: string;
  /** The organization's limits; null or absent: none. */
  limits?: schema.Limits | null;
}

export interface CreatedOrganization {
  organization: typeof schema.organizations.$inferSelect;
  adminKey: typeof schema.apiKeys.$inferSelect;
  /** The admin key's secret, shown this once. */
  secret: string;
}

/** Undefined when the slug is taken. */
export async function createOrganization(db: AnyPg, input: NewOrganization): Promise<CreatedOrganization | undefined> {
  const secret = newApiKeySecret();
  const stored = await storedForm(secret);
  return db.transaction(async (tx) => {
    const [organization] = await tx
      .insert(schema.organizations)
      .values({ slug: input.slug, name: input.name, isPlatform: input.isPlatform, limits: input.limits ?? null })
      .onConflictDoNothing({ target: schema.organizations.slug })
      .returning();
    if (!organization) return undefined;
    const [adminKey] = await tx
      .insert(schema.apiKeys)
      .values({ organizationId: organization.id, name: input.keyName, role: "admin", ...stored })
      .returning();
    if (!adminKey) throw new Error("admin key not written");
    return { organization, adminKey, secret };
  });
}

export const SLUG = /^[a-z0-9][a-z0-9-]{1,62}$/;
