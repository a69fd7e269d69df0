// GET /v1/models and /v1/models/{id}: what the caller may use, in OpenAI's list shape.
import { Hono } from "hono";
import type { AppEnv } from "../app-env";
import { getCatalog } from "../catalog";
import { assertModelAllowed } from "../middleware/auth";
import { resolveModel, visibleModelIds } from "../routing/resolve-model";

const created = (uuid: string) => 1_700_000_000 + (parseInt(uuid.slice(0, 6), 16) % 10_000_000);

export const modelRoutes = new Hono<AppEnv>()
  .get("/", async (c) => {
    // Serve the snapshot held and refresh it behind the response, as inference does.
    const catalog = await getCatalog(c.env, undefined, (work) => c.executionCtx.waitUntil(work));
    const { organizationId, models: allowed } = c.get("caller");
    const visible = visibleModelIds(catalog, organizationId).filter(
      ({ id, model }) => allowed === null || allowed.has(id) || allowed.has(model.hfId),
    );
    const data = visible.map(({ id, model }) => ({
      id,
      object: "model",
      created: created(model.id),
      owned_by: id === model.hfId ? "inventiv" : id.split("/")[0],
      root: model.hfId,
    }));
    return c.json({ object: "list", data });
  })
  .get("/:id{.+}", async (c) => {
    const id = c.req.param("id");
    const caller = c.get("caller");
    const { model, offering } = resolveModel(
      await getCatalog(c.env, id, (work) => c.executionCtx.waitUntil(work)),
      id,
      caller.organizationId,
    );
    assertModelAllowed(caller, model.hfId, offering?.key ?? null, id);
    return c.json({ id, object: "model", created: created(model.id), owned_by: "inventiv", root: model.hfId });
  });
