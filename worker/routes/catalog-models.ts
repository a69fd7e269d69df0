// The global model catalog: platform admin keys add and change models and their prices; every
// admin key lists them (what its organization may offer). Changes reach inference within
// CATALOG_TTL_MS, at once in this isolate.
import { createRoute, z } from "@hono/zod-openapi";
import { asc, eq } from "drizzle-orm";
import { models } from "../../schema";
import { invalidateCatalog } from "../catalog";
import { withDb } from "../db";
import { RouterError } from "../errors";
import { requirePlatform } from "../middleware/auth";
import { adminErrors, bearer, jsonBody, jsonResponse, openApiRoutes, UUID, unixSeconds } from "./openapi-app";
import { AudioSecondPrice, CharacterPrice, isUniqueViolation, Price } from "./prices";

export const CatalogModelSchema = z
  .object({
    id: z.string(),
    object: z.literal("catalog.model"),
    model_id: z.string().openapi({ description: "Hugging Face id, what GPU hosts serve" }),
    name: z.string(),
    is_active: z.boolean(),
    input_price_per_1k: z.string(),
    output_price_per_1k: z.string(),
    price_per_audio_second: z.string(),
    price_per_character: z.string(),
    context_length: z.number().int().nullable(),
    created_at: unixSeconds,
  })
  .openapi("CatalogModel");

const present = (m: typeof models.$inferSelect) => ({
  id: m.id,
  object: "catalog.model" as const,
  model_id: m.modelId,
  name: m.name,
  is_active: m.isActive,
  input_price_per_1k: m.priceInputPer1k,
  output_price_per_1k: m.priceOutputPer1k,
  price_per_audio_second: m.pricePerAudioSecond,
  price_per_character: m.pricePerCharacter,
  context_length: m.contextLength,
  created_at: Math.floor(m.createdAt.getTime() / 1000),
});

const editable = {
  name: z.string().min(1).max(200),
  is_active: z.boolean(),
  input_price_per_1k: Price,
  output_price_per_1k: Price,
  price_per_audio_second: AudioSecondPrice,
  price_per_character: CharacterPrice,
  context_length: z.number().int().positive().nullable(),
};

const tags = ["Models"];
const IdParam = z.object({ id: z.string().openapi({ param: { name: "id", in: "path" } }) });
const notFound = (id: string) =>
  new RouterError(404, { message: `No model \`${id}\`.`, code: "model_not_found", param: "id" });

const createModel = createRoute({
  method: "post",
  path: "/models",
  tags,
  summary: "Add a model to the global catalog (platform keys)",
  security: bearer,
  middleware: [requirePlatform] as const,
  request: {
    body: jsonBody(
      z
        .object({
          model_id: z.string().min(1).max(200),
          name: editable.name.optional(),
          is_active: editable.is_active.default(true),
          input_price_per_1k: Price.default("0"),
          output_price_per_1k: Price.default("0"),
          price_per_audio_second: AudioSecondPrice.default("0"),
          price_per_character: CharacterPrice.default("0"),
          context_length: editable.context_length.optional(),
        })
        .openapi("CreateModel"),
    ),
  },
  responses: { 201: jsonResponse(CatalogModelSchema, "The model"), ...adminErrors, 409: adminErrors[404] },
});

const listModels = createRoute({
  method: "get",
  path: "/models",
  tags,
  summary: "The global catalog: all models for platform keys, active ones for other admins",
  security: bearer,
  responses: {
    200: jsonResponse(z.object({ object: z.literal("list"), data: z.array(CatalogModelSchema) }), "Models"),
    ...adminErrors,
  },
});

const patchModel = createRoute({
  method: "patch",
  path: "/models/{id}",
  tags,
  summary:
    "Change a model's name, prices (tokens, audio seconds, characters), context length or activity (platform keys)",
  security: bearer,
  middleware: [requirePlatform] as const,
  request: {
    params: IdParam,
    body: jsonBody(z.object(editable).partial().openapi("UpdateModel")),
  },
  responses: { 200: jsonResponse(CatalogModelSchema, "The changed model"), ...adminErrors },
});

export const catalogModelRoutes = openApiRoutes()
  .openapi(createModel, async (c) => {
    const b = c.req.valid("json");
    const row = await withDb(c.env, (db) =>
      db
        .insert(models)
        .values({
          modelId: b.model_id,
          name: b.name ?? b.model_id,
          isActive: b.is_active,
          priceInputPer1k: b.input_price_per_1k,
          priceOutputPer1k: b.output_price_per_1k,
          pricePerAudioSecond: b.price_per_audio_second,
          pricePerCharacter: b.price_per_character,
          contextLength: b.context_length ?? null,
        })
        .returning(),
    ).catch((err: unknown) => {
      if (isUniqueViolation(err))
        throw new RouterError(409, {
          message: `The model \`${b.model_id}\` exists already.`,
          code: "model_exists",
          param: "model_id",
        });
      throw err;
    });
    invalidateCatalog();
    return c.json(present(row[0] as typeof models.$inferSelect), 201);
  })
  .openapi(listModels, async (c) => {
    const all = c.get("caller").platform;
    const rows = await withDb(c.env, (db) =>
      db
        .select()
        .from(models)
        .where(all ? undefined : eq(models.isActive, true))
        .orderBy(asc(models.modelId)),
    );
    return c.json({ object: "list" as const, data: rows.map(present) }, 200);
  })
  .openapi(patchModel, async (c) => {
    const { id } = c.req.valid("param");
    const b = c.req.valid("json");
    if (!UUID.test(id)) throw notFound(id);
    const set = {
      name: b.name,
      isActive: b.is_active,
      priceInputPer1k: b.input_price_per_1k,
      priceOutputPer1k: b.output_price_per_1k,
      pricePerAudioSecond: b.price_per_audio_second,
      pricePerCharacter: b.price_per_character,
      contextLength: b.context_length,
    };
    const [row] = await withDb(c.env, async (db) =>
      Object.values(set).some((v) => v !== undefined)
        ? db.update(models).set(set).where(eq(models.id, id)).returning()
        : db.select().from(models).where(eq(models.id, id)),
    );
    if (!row) throw notFound(id);
    invalidateCatalog();
    return c.json(present(row), 200);
  });
