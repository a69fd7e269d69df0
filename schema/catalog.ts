// The model catalog: models, organizations' offerings of them, and the models seen in traffic.
import { sql } from "drizzle-orm";
import { boolean, check, integer, numeric, pgTable, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { counter, createdAt } from "./columns";
import { organizations } from "./tenants";

export const models = pgTable(
  "models",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    /** Hugging Face repo id, e.g. "Qwen/Qwen2.5-0.5B-Instruct"; what GPU hosts serve. */
    modelId: text("model_id").notNull().unique(),
    name: text("name").notNull(),
    isActive: boolean("is_active").notNull().default(true),
    priceInputPer1k: numeric("price_input_per_1k", { precision: 12, scale: 6 }).notNull().default("0"),
    priceOutputPer1k: numeric("price_output_per_1k", { precision: 12, scale: 6 }).notNull().default("0"),
    /** Transcriptions and translations: per second of audio in. */
    pricePerAudioSecond: numeric("price_per_audio_second", { precision: 12, scale: 6 }).notNull().default("0"),
    /** Speech: per character of text in. */
    pricePerCharacter: numeric("price_per_character", { precision: 12, scale: 6 }).notNull().default("0"),
    contextLength: integer("context_length"),
    createdAt: createdAt(),
  },
  (t) => [
    check("models_price_input_non_negative", sql`${t.priceInputPer1k} >= 0`),
    check("models_price_output_non_negative", sql`${t.priceOutputPer1k} >= 0`),
    check("models_price_audio_second_non_negative", sql`${t.pricePerAudioSecond} >= 0`),
    check("models_price_character_non_negative", sql`${t.pricePerCharacter} >= 0`),
  ],
);

/** An organization's offering of a model, addressed as `org_slug/code`. */
export const organizationModels = pgTable(
  "organization_models",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    organizationId: uuid("organization_id")
      .notNull()
      .references(() => organizations.id),
    modelId: uuid("model_id")
      .notNull()
      .references(() => models.id),
    code: text("code").notNull(),
    active: boolean("active").notNull().default(true),
    /** Null: the model's own price applies. */
    priceInputPer1k: numeric("price_input_per_1k", { precision: 12, scale: 6 }),
    priceOutputPer1k: numeric("price_output_per_1k", { precision: 12, scale: 6 }),
    pricePerAudioSecond: numeric("price_per_audio_second", { precision: 12, scale: 6 }),
    pricePerCharacter: numeric("price_per_character", { precision: 12, scale: 6 }),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex("organization_models_org_code").on(t.organizationId, t.code),
    // Null passes a CHECK: no override.
    check("organization_models_price_input_non_negative", sql`${t.priceInputPer1k} >= 0`),
    check("organization_models_price_output_non_negative", sql`${t.priceOutputPer1k} >= 0`),
    check("organization_models_price_audio_second_non_negative", sql`${t.pricePerAudioSecond} >= 0`),
    check("organization_models_price_character_non_negative", sql`${t.pricePerCharacter} >= 0`),
  ],
);

/** Models seen in traffic, by Hugging Face id. */
export const runtimeModels = pgTable("runtime_models", {
  modelId: text("model_id").primaryKey(),
  firstSeenAt: timestamp("first_seen_at", { withTimezone: true }).notNull(),
  lastSeenAt: timestamp("last_seen_at", { withTimezone: true }).notNull(),
  totalRequests: counter("total_requests"),
  failedRequests: counter("failed_requests"),
});
