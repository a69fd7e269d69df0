// Sessions: one row per conversation the router pins to a host.
import { index, pgTable, primaryKey, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { models } from "./catalog";
import { counter, createdAt } from "./columns";
import { instances } from "./fleet";
import { organizations } from "./tenants";

/** The router's "conversations": one row per (organization, X-Inventiv-Session). */
export const chatSessions = pgTable(
  "chat_sessions",
  {
    organizationId: uuid("organization_id")
      .notNull()
      .references(() => organizations.id),
    sessionKey: text("session_key").notNull(),
    modelId: uuid("model_id").references(() => models.id),
    instanceId: uuid("instance_id").references(() => instances.id),
    requestCount: counter("request_count"),
    totalTokens: counter("total_tokens"),
    createdAt: createdAt(),
    lastUsedAt: timestamp("last_used_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.organizationId, t.sessionKey] }),
    // The session list pages by (created_at, session_key) descending within an organization.
    index("chat_sessions_org_created").on(t.organizationId, t.createdAt, t.sessionKey),
  ],
);
