// The organization's offerings (admin keys): a global model under the organization's own code,
// addressed as `org_slug/code`, optionally at its own prices. DELETE deactivates: the ledger
// refers to offerings, so a code stays reserved. Changes reach inference within CATALOG_TTL_MS,
// at once in this isolate.
import { createRoute, z } from "@hono/zod-openapi";
import { and, asc, eq } from "drizzle-orm";
import type { Context } from "hono";
import { organizationModels } from "../../schema";
import type { AppEnv } from "../app-env";
import { getCatalog, invalidateCatalog } from "../catalog";
import { withDb } from "../db";
import { badRequest, RouterError } from "../errors";
import { adminErrors, bearer, jsonBody, jsonResponse, openApiRoutes, UUID, unixSeconds } from "./openapi-app";
import { AudioSecondPrice, CharacterPrice, isUniqueViolation, Price } from "./prices";

const OfferingSchema = z
  .object({
    id: z.string(),
    object: z.literal("offering"),
    code: z.string(),
    model: z.string().openapi({ description: "What inference requests name: `org_slug/code`" }),
    model_id: z.string().openapi({ description: "The catalog model's uuid" }),
    active: z.boolean(),
    input_price_per_1k: z.string().nullable().openapi({ description: "Null: the model's own price" }),
    output_price_per_1k: z.string().nullable(),
    price_per_audio_second: z.string().nullable(),
    price_per_character: z.string().nullable(),
    created_at: unixSeconds,
  })
  .openapi("Offering");

type OfferingRow = typeof organizationModels.$inferSelect;

const present = (o: OfferingRow, slug: string) => ({
  id: o.id,
  object: "offering" as const,
  code: o.code,
  model: `${slug}/${o.code}`,
  model_id: o.modelId,
  active: o.active,
  input_price_per_1k: o.priceInputPer1k,
  output_price_per_1k: o.priceOutputPer1k,
  price_per_audio_second: o.pricePerAudioSecond,
  price_per_character: o.pricePerCharacter,
  created_at: Math.floor(o.createdAt.getTime() / 1000),
});

const editable = {
  active: z.boolean(),
  input_price_per_1k: Price.nullable(),
  output_price_per_1k: Price.nullable(),
  price_per_audio_second: AudioSecondPrice.nullable(),
  price_per_character: CharacterPrice.nullable(),
};

const tags = ["Offerings"];
const IdParam = z.object({ id: z.string().openapi({ param: { name: "id", in: "path" } }) });
const notFound = (id: string) =>
  new RouterError(404, {
    message: `No offering \`${id}\` in your organization.`,
    code: "offering_not_found",
    param: "id",
  });

/** The catalog model's uuid for a uuid or Hugging Face id. */
async function modelUuid(c: Context<AppEnv>, name: string): Promise<string> {
  const catalog = await getCatalog(c.env, name);
  const model =
    catalog.modelsByHfId.get(name) ?? (UUID.test(name) ? catalog.modelsById.get(name.toLowerCase()) : undefined);
  if (!model) throw badRequest(`No model \`${name}\` in the catalog.`, "model_id", "model_not_found");
  return model.id;
}

function scoped(c: Context<AppEnv>, id: string) {
  if (!UUID.test(id)) throw notFound(id);
  return and(eq(organizationModels.organizationId, c.get("caller").organizationId), eq(organizationModels.id, id));
}

const route = <T extends Parameters<typeof createRoute>[0]>(r: T) => createRoute({ ...r, tags, security: bearer });
const one = (description: string) => ({ 200: jsonResponse(OfferingSchema, description), ...adminErrors });

const createOffering = route({
  method: "post",
  path: "/offerings",
  summary: "Offer a catalog model under your organization's code",
  request: {
    body: jsonBody(
      z
        .object({
          code: z.string().regex(/^[A-Za-z0-9][\w.-]{0,63}$/, "letters, digits and `_.-`, up to 64"),
          model_id: z.string().min(1).openapi({ description: "The catalog model's uuid or Hugging Face id" }),
          active: editable.active.default(true),
          input_price_per_1k: editable.input_price_per_1k.optional(),
          output_price_per_1k: editable.output_price_per_1k.optional(),
          price_per_audio_second: editable.price_per_audio_second.optional(),
          price_per_character: editable.price_per_character.optional(),
        })
        .openapi("CreateOffering"),
    ),
  },
  responses: { 201: jsonResponse(OfferingSchema, "The offering"), ...adminErrors, 409: adminErrors[404] },
});
const listOfferings = route({
  method: "get",
  path: "/offerings",
  summary: "Your organization's offerings",
  responses: {
    200: jsonResponse(z.object({ object: z.literal("list"), data: z.array(OfferingSchema) }), "Offerings"),
    ...adminErrors,
  },
});
const getOffering = route({
  method: "get",
  path: "/offerings/{id}",
  summary: "Show an offering",
  request: { params: IdParam },
  responses: one("The offering"),
});
const patchOffering = route({
  method: "patch",
  path: "/offerings/{id}",
  summary: "Change an offering's prices or activity",
  request: { params: IdParam, body: jsonBody(z.object(editable).partial().openapi("UpdateOffering")) },
  responses: one("The changed offering"),
});
const deleteOffering = route({
  method: "delete",
  path: "/offerings/{id}",
  summary: "Deactivate an offering",
  request: { params: IdParam },
  responses: one("The deactivated offering"),
});

export const offeringRoutes = openApiRoutes()
  .openapi(createOffering, async (c) => {
    const b = c.req.valid("json");
    const caller = c.get("caller");
    const modelId = await modelUuid(c, b.model_id);
    const [row] = await withDb(c.env, (db) =>
      db
        .insert(organizationModels)
        .values({
          organizationId: caller.organizationId,
          modelId,
          code: b.code,
          active: b.active,
          priceInputPer1k: b.input_price_per_1k ?? null,
          priceOutputPer1k: b.output_price_per_1k ?? null,
          pricePerAudioSecond: b.price_per_audio_second ?? null,
          pricePerCharacter: b.price_per_character ?? null,
        })
        .returning(),
    ).catch((err: unknown) => {
      if (isUniqueViolation(err))
        throw new RouterError(409, {
          message: `Your organization has an offering \`${b.code}\` already.`,
          code: "offering_exists",
          param: "code",
        });
      throw err;
    });
    invalidateCatalog();
    return c.json(present(row as OfferingRow, caller.organizationSlug), 201);
  })
  .openapi(listOfferings, async (c) => {
    const caller = c.get("caller");
    const rows = await withDb(c.env, (db) =>
      db
        .select()
        .from(organizationModels)
        .where(eq(organizationModels.organizationId, caller.organizationId))
        .orderBy(asc(organizationModels.code)),
    );
    return c.json({ object: "list" as const, data: rows.map((r) => present(r, caller.organizationSlug)) }, 200);
  })
  .openapi(getOffering, async (c) => {
    const { id } = c.req.valid("param");
    const [row] = await withDb(c.env, (db) => db.select().from(organizationModels).where(scoped(c, id)));
    if (!row) throw notFound(id);
    return c.json(present(row, c.get("caller").organizationSlug), 200);
  })
  .openapi(patchOffering, async (c) => {
    const { id } = c.req.valid("param");
    const b = c.req.valid("json");
    const set = {
      active: b.active,
      priceInputPer1k: b.input_price_per_1k,
      priceOutputPer1k: b.output_price_per_1k,
      pricePerAudioSecond: b.price_per_audio_second,
      pricePerCharacter: b.price_per_character,
    };
    const where = scoped(c, id);
    const [row] = await withDb(c.env, (db) =>
      Object.values(set).some((v) => v !== undefined)
        ? db.update(organizationModels).set(set).where(where).returning()
        : db.select().from(organizationModels).where(where),
    );
    if (!row) throw notFound(id);
    invalidateCatalog();
    return c.json(present(row, c.get("caller").organizationSlug), 200);
  })
  .openapi(deleteOffering, async (c) => {
    const { id } = c.req.valid("param");
    const where = scoped(c, id);
    const [row] = await withDb(c.env, (db) =>
      db.update(organizationModels).set({ active: false }).where(where).returning(),
    );
    if (!row) throw notFound(id);
    invalidateCatalog();
    return c.json(present(row, c.get("caller").organizationSlug), 200);
  });
