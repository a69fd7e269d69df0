// Organizations (platform admin keys only): create one with its first admin key, list them.
import { createRoute, z } from "@hono/zod-openapi";
import { asc } from "drizzle-orm";
import { organizations } from "../../schema";
import { withDb } from "../db";
import { RouterError } from "../errors";
import { requirePlatform } from "../middleware/auth";
import { createOrganization, SLUG } from "../organizations/create";
import { ApiKeyWithSecretSchema, presentApiKey } from "./api-keys-spec";
import { adminErrors, bearer, jsonBody, jsonResponse, openApiRoutes, unixSeconds } from "./openapi-app";

const OrganizationSchema = z
  .object({
    id: z.string(),
    object: z.literal("organization"),
    slug: z.string(),
    name: z.string(),
    is_platform: z.boolean(),
    created_at: unixSeconds,
  })
  .openapi("Organization");

const present = (o: typeof organizations.$inferSelect) => ({
  id: o.id,
  object: "organization" as const,
  slug: o.slug,
  name: o.name,
  is_platform: o.isPlatform,
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

export const organizationRoutes = openApiRoutes()
  .openapi(createOrg, async (c) => {
    const body = c.req.valid("json");
    const created = await withDb(c.env, (db) =>
      createOrganization(db, {
        slug: body.slug,
        name: body.name ?? body.slug,
        isPlatform: body.is_platform,
        keyName: "first admin key",
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
  });
