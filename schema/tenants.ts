// Tenants: organizations and their API keys.
import { boolean, index, jsonb, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { createdAt } from "./columns";
import { apiKeyRoles, type Limits } from "./values";

export const organizations = pgTable("organizations", {
  id: uuid("id").primaryKey().defaultRandom(),
  slug: text("slug").notNull().unique(),
  name: text("name").notNull(),
  /** The platform's own organization: its admin keys create organizations and manage global models. */
  isPlatform: boolean("is_platform").notNull().default(false),
  /** Limits of the organization as a whole (every key's requests count); null: none. */
  limits: jsonb("limits").$type<Limits>(),
  createdAt: createdAt(),
});

export const apiKeys = pgTable(
  "api_keys",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    organizationId: uuid("organization_id")
      .notNull()
      .references(() => organizations.id),
    name: text("name").notNull(),
    /** First characters of the key, shown to humans ("sk-inv-ab12…"). */
    keyPrefix: text("key_prefix").notNull(),
    /** Hex SHA-256 of the whole key; the key itself is never stored. */
    keyHash: text("key_hash").notNull().unique(),
    role: text("role", { enum: apiKeyRoles }).notNull().default("member"),
    createdAt: createdAt(),
    revokedAt: timestamp("revoked_at", { withTimezone: true }),
    lastUsedAt: timestamp("last_used_at", { withTimezone: true }),
    /** Null: never expires. */
    expiresAt: timestamp("expires_at", { withTimezone: true }),
    /** Allow-list of model uuids, Hugging Face ids or offerings (`org/code`); null: all the organization may use. */
    models: text("models").array(),
    /** After a rotation: the old secret's hash, accepted until `previous_key_expires_at`. */
    previousKeyHash: text("previous_key_hash").unique(),
    previousKeyExpiresAt: timestamp("previous_key_expires_at", { withTimezone: true }),
    /** This key's own limits (worker/limits/policy.ts); null: none beyond its organization's. */
    limits: jsonb("limits").$type<Limits>(),
  },
  // GET /api-keys pages by (created_at, id) within an organization.
  (t) => [index("api_keys_org_created").on(t.organizationId, t.createdAt, t.id)],
);
