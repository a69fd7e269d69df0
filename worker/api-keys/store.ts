// api_keys rows for the key-management API, always scoped to the caller's organization.
import { and, desc, eq, isNull, sql } from "drizzle-orm";
import { apiKeys } from "../../schema";
import type { Db } from "../db";

export type ApiKeyRow = typeof apiKeys.$inferSelect;
export type NewApiKey = Pick<
  typeof apiKeys.$inferInsert,
  "organizationId" | "name" | "role" | "keyHash" | "keyPrefix" | "expiresAt" | "models" | "limits"
>;

export async function insertApiKey(db: Db, values: NewApiKey): Promise<ApiKeyRow> {
  const [row] = await db.insert(apiKeys).values(values).returning();
  if (!row) throw new Error("api key not written");
  return row;
}

export async function findApiKey(db: Db, organizationId: string, id: string): Promise<ApiKeyRow | undefined> {
  const [row] = await db
    .select()
    .from(apiKeys)
    .where(and(eq(apiKeys.organizationId, organizationId), eq(apiKeys.id, id)));
  return row;
}

/** Newest first by (created_at, id); `after` is the previous page's last id; `limit + 1` rows tell whether more exist. */
export function listApiKeys(db: Db, organizationId: string, limit: number, after: string | null): Promise<ApiKeyRow[]> {
  const position = after
    ? sql`(${apiKeys.createdAt}, ${apiKeys.id}) < (
        select k.created_at, k.id from api_keys k where k.organization_id = ${organizationId} and k.id = ${after})`
    : undefined;
  return db
    .select()
    .from(apiKeys)
    .where(and(eq(apiKeys.organizationId, organizationId), position))
    .orderBy(desc(apiKeys.createdAt), desc(apiKeys.id))
    .limit(limit + 1);
}

export async function updateApiKey(
  db: Db,
  organizationId: string,
  id: string,
  set: Partial<
    Pick<
      ApiKeyRow,
      "name" | "models" | "expiresAt" | "limits" | "keyHash" | "keyPrefix" | "previousKeyHash" | "previousKeyExpiresAt"
    >
  >,
): Promise<ApiKeyRow | undefined> {
  const [row] = await db
    .update(apiKeys)
    .set(set)
    .where(and(eq(apiKeys.organizationId, organizationId), eq(apiKeys.id, id), isNull(apiKeys.revokedAt)))
    .returning();
  return row;
}

/** Sets revoked_at once; a second revocation keeps the first time. */
export async function revokeApiKey(db: Db, organizationId: string, id: string): Promise<ApiKeyRow | undefined> {
  const [row] = await db
    .update(apiKeys)
    .set({ revokedAt: sql`coalesce(${apiKeys.revokedAt}, now())` })
    .where(and(eq(apiKeys.organizationId, organizationId), eq(apiKeys.id, id)))
    .returning();
  return row;
}
