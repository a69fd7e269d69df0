// The organization's API keys (admin keys): create, list, show, change, revoke, rotate. The rules are
// api-keys/manage.ts's (the dashboard's Keys page runs the same); this file turns the wire form into
// them and back. The schemas and route definitions are in api-keys-spec.ts.
import * as keys from "../api-keys/manage";
import { findApiKey, listApiKeys } from "../api-keys/store";
import { withDb } from "../db";
import { badRequest } from "../errors";
import * as spec from "./api-keys-spec";
import { parseLimit } from "./limit-param";
import { limitsOfBody } from "./limits-spec";
import { openApiRoutes, UUID } from "./openapi-app";

export const apiKeyRoutes = openApiRoutes()
  .openapi(spec.createKey, async (c) => {
    const body = c.req.valid("json");
    const { row, secret } = await keys.createKey(c.env, c.get("caller"), {
      name: body.name,
      role: body.role,
      expiresAt: body.expires_at,
      models: body.models,
      limits: limitsOfBody(body.limits),
    });
    return c.json({ ...spec.presentApiKey(row), key: secret }, 201);
  })
  .openapi(spec.listKeys, async (c) => {
    const { limit: rawLimit, after } = c.req.valid("query");
    const limit = parseLimit(rawLimit, 20, 100);
    const orgId = c.get("caller").organizationId;
    if (after !== undefined && !UUID.test(after))
      throw badRequest("`after` is not one of your keys.", "after", "invalid_cursor");
    const { rows, cursorKnown } = await withDb(c.env, async (db) => ({
      rows: await listApiKeys(db, orgId, limit, after ?? null),
      cursorKnown: after === undefined || (await findApiKey(db, orgId, after)) !== undefined,
    }));
    if (!cursorKnown) throw badRequest("`after` is not one of your keys.", "after", "invalid_cursor");
    const data = rows.slice(0, limit).map(spec.presentApiKey);
    return c.json(
      {
        object: "list" as const,
        data,
        first_id: data[0]?.id ?? null,
        last_id: data.at(-1)?.id ?? null,
        has_more: rows.length > limit,
      },
      200,
    );
  })
  .openapi(spec.getKey, async (c) => {
    const row = await keys.findOwnKey(c.env, c.get("caller"), c.req.valid("param").id);
    return c.json(spec.presentApiKey(row), 200);
  })
  .openapi(spec.patchKey, async (c) => {
    const body = c.req.valid("json");
    const row = await keys.changeKey(c.env, c.get("caller"), c.req.valid("param").id, {
      name: body.name,
      expiresAt: body.expires_at,
      models: body.models,
      limits: limitsOfBody(body.limits),
    });
    return c.json(spec.presentApiKey(row), 200);
  })
  .openapi(spec.deleteKey, async (c) => {
    const row = await keys.revokeKey(c.env, c.get("caller"), c.req.valid("param").id);
    return c.json(spec.presentApiKey(row), 200);
  })
  .openapi(spec.rotateKey, async (c) => {
    const { grace_seconds: grace } = c.req.valid("json");
    const { row, secret } = await keys.rotateKey(c.env, c.get("caller"), c.req.valid("param").id, grace);
    return c.json({ ...spec.presentApiKey(row), key: secret }, 200);
  });
