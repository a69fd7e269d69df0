// Test data helpers. Tests share one database, so everything here gets a unique name.
import { type AnyDb, createApiKey, createOrg, uniqueSlug } from "../../dev/fixtures";

export {
  type AnyDb,
  type ApiKeyOptions,
  type ApiKeyRole,
  type CreatedInstance,
  createApiKey,
  createInstance,
  createModel,
  createOffering,
  createOrg,
  type InstanceInput,
  newApiKey,
  sha256Hex,
  uniqueSlug,
} from "../../dev/fixtures";

export interface Tenant {
  orgId: string;
  slug: string;
  adminKey: string;
  memberKey: string;
}

/** A fresh organization with an admin and a member key. */
export async function createTenant(db: AnyDb, prefix = "t"): Promise<Tenant> {
  const slug = uniqueSlug(prefix);
  const orgId = await createOrg(db, slug);
  const adminKey = await createApiKey(db, orgId, "admin");
  const memberKey = await createApiKey(db, orgId, "member");
  return { orgId, slug, adminKey, memberKey };
}
