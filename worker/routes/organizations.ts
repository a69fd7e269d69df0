// Organizations (platform admin keys only): create one with its first admin key, list, show, and
// change its name or limits (the organization's as a whole: every key's requests count).
import { createRoute, z } from "@hono/zod-openapi";
import { asc, eq } from "drizzle-orm";
import { organizations } from "../../schema";
import { withDb } from "../db";
import { RouterError } from "../errors";
import { forgetOrganizationKeys, requirePlatform } from "../middleware/auth";
import { createOrganization, SLUG } from "../organizations/create";
import { ApiKeyWithSecretSchema, presentApiKey } from "./api-keys-spec";
import { LimitsSchema, limitsField, limitsToStore, presentLimits } from "./limits-spec";
import { adminErrors, bearer, jsonBody, jsonResponse, openApiRoutes, UUID, unixSeconds } from "./openapi-app";

const OrganizationSchema = z
  .object({
    id: z.string(),
    object: z.literal("organization"),
    slug: z.string(),
    name: z.string(),
    is_platform: z.boolean(),
    limits: LimitsSchema.nullable().openapi({ description: "The organization's limits; null: none" }),
    created_at: unixSeconds,
  })
  .openapi("Organization");

const present = (o: typeof organizations.$inferSelect) => ({
  id: o.id,
  object: "organization" as const,
  slug: o.slug,
  name: o.name,
  is_platform: o.isPlatform,
  limits: presentLimits(o.limits),
  created_at: Math.floor(o.createdAt.getTime() / 1000),
});

const tags = ["Organizations"];
const conflict = { 409: adminErrors[404] };

const createOrg = createRoute({
  method: "post",
  path: "/organizations",
  tags,
  summary: "Create an organization and its first admin key (platform keys)",
  security: bearer,
  middleware: [requirePlatform] as const,
  request: {
    body: jsonBody(
      z
        .object({
          slug: z.string().regex(SLUG, "lowercase letters, digits and dashes, 2–63 characters"),
          name: z.string().min(1).max(200).optional(),
          is_platform: z.boolean().default(false),
          limits: limitsField,
        })
        .openapi("CreateOrganization"),
    ),
  },
  responses: {
    201: jsonResponse(
      OrganizationSchema.extend({ admin_key: ApiKeyWithSecretSchema }),
      "The organization, with its admin key's secret (shown once)",
    ),
    ...adminErrors,
    ...conflict,
  },
});

const listOrgs = createRoute({
  method: "get",
  path: "/organizations",
  tags,
  summary: "List every organization (platform keys)",
  security: bearer,
  middleware: [requirePlatform] as const,
  responses: {
    200: jsonResponse(z.object({ object: z.literal("list"), data: z.array(OrganizationSchema) }), "Organizations"),
    ...adminErrors,
  },
});

const IdParam = z.object({ id: z.string().openapi({ param: { name: "id", in: "path" } }) });

const getOrg = createRoute({
  method: "get",
  path: "/organizations/{id}",
  tags,
  summary: "Show an organization (platform keys)",
  security: bearer,
  middleware: [requirePlatform] as const,
  request: { params: IdParam },
  responses: { 200: jsonResponse(OrganizationSchema, "The organization"), ...adminErrors },
});

const patchOrg = createRoute({
  method: "patch",
  path: "/organizations/{id}",
  tags,
  summary: "Change an organization's name or limits (platform keys)",
  security: bearer,
  middleware: [requirePlatform] as const,
  request: {
    params: IdParam,
    body: jsonBody(
      z
        .strictObject({ name: z.string().min(1).max(200).optional(), limits: limitsField })
        .openapi("UpdateOrganization"),
    ),
  },
  responses: { 200: jsonResponse(OrganizationSchema, "The changed organization"), ...adminErrors },
});

const orgNotFound = (id: string) =>
  new RouterError(404, { message: `No organization \`${id}\`.`, code: "organization_not_found", param: "id" });

async function findOrganization(env: Parameters<typeof withDb>[0], id: string) {
  if (!UUID.test(id)) return undefined;
  const [row] = await withDb(env, (db) => db.select().from(organizations).where(eq(organizations.id, id)));
  return row;
}

export const organizationRoutes = openApiRoutes()
  .openapi(createOrg, async (c) => {
    const body = c.req.valid("json");
    const created = await withDb(c.env, (db) =>
      createOrganization(db, {
        slug: body.slug,
        name: body.name ?? body.slug,
        isPlatform: body.is_platform,
        keyName: "first admin key",
        limits: limitsToStore(body.limits, null),
      }),
    );
    if (!created)
      throw new RouterError(409, {
        message: `An organization \`${body.slug}\` exists already.`,
        code: "organization_exists",
        param: "slug",
      });
    return c.json(
      { ...present(created.organization), admin_key: { ...presentApiKey(created.adminKey), key: created.secret } },
      201,
    );
  })
  .openapi(listOrgs, async (c) => {
    const rows = await withDb(c.env, (db) => db.select().from(organizations).orderBy(asc(organizations.createdAt)));
    return c.json({ object: "list" as const, data: rows.map(present) }, 200);
  })
  .openapi(getOrg, async (c) => {
    const { id } = c.req.valid("param");
    const row = await findOrganization(c.env, id);
    if (!row) throw orgNotFound(id);
    return c.json(present(row), 200);
  })
  .openapi(patchOrg, async (c) => {
    const { id } = c.req.valid("param");
    const body = c.req.valid("json");
    const row = await findOrganization(c.env, id);
    if (!row) throw orgNotFound(id);
    const [updated] = await withDb(c.env, (db) =>
      db
        .update(organizations)
        .set({ name: body.name ?? row.name, limits: limitsToStore(body.limits, row.limits) })
        .where(eq(organizations.id, id))
        .returning(),
    );
    if (!updated) throw orgNotFound(id);
    // The keys' memoised entries carry the organization's limits: at once here, within the TTL elsewhere.
    forgetOrganizationKeys(id);
    return c.json(present(updated), 200);
  });
