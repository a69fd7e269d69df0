// The Responses API. vLLM keeps each response in the memory of the host that made it, so the
// router names it (`request_id`, which vLLM uses as the response id), remembers which host holds
// it (ResponseIndex, one per organization) before the answer leaves, and sends follow-ups
// (`previous_response_id`) and GET / DELETE / cancel there and nowhere else.
import { type Context, Hono } from "hono";
import type { AppEnv } from "../app-env";
import { getCatalog } from "../catalog";
import type { HeldResponse } from "../contracts";
import { badRequest, RouterError } from "../errors";
import { forward } from "../proxy/forward";
import { resolveModel } from "../routing/resolve-model";
import { responseIndexFor } from "../stubs";
import { handleInference, readJsonObject, settledFields } from "./inference";
import type { EndpointSpec } from "./inference-input";

const SPEC: EndpointSpec = { input: "input", streams: true };
/** What vLLM's ids look like; anything else cannot be one of ours. */
const RESPONSE_ID = /^resp_[A-Za-z0-9_-]{1,100}$/;

const notFound = (id: string, param: string) =>
  new RouterError(404, {
    message: `No response with id '${id}' is held for your organization.`,
    param,
    code: "response_not_found",
  });

async function heldOr404(c: Context<AppEnv>, id: unknown, param: string): Promise<HeldResponse> {
  if (typeof id !== "string" || !RESPONSE_ID.test(id))
    throw badRequest(`\`${param}\` must be a response id (resp_…).`, param);
  const held = await responseIndexFor(c.env, c.get("caller").organizationId).find(id);
  if (!held) throw notFound(id, param);
  return held;
}

export const responseRoutes = new Hono<AppEnv>();

responseRoutes.post("/", async (c) => {
  const body = await readJsonObject(c);
  const previous = body.previous_response_id;
  const held =
    previous === undefined || previous === null ? null : await heldOr404(c, previous, "previous_response_id");
  // Ours, never the client's: the index is keyed by it.
  const responseId = `resp_${crypto.randomUUID().replaceAll("-", "")}`;
  const store = body.store !== false;
  return handleInference(c, "/v1/responses", SPEC, {
    body,
    holder: async (resolved) => {
      if (!held) return undefined;
      if (held.modelUuid !== resolved.model.id)
        throw badRequest("`previous_response_id` names a response made by another model.", "previous_response_id");
      return { instanceId: held.instanceId, what: "response" };
    },
    upstream: (named) => ({ ...named, request_id: responseId }),
    answered: async (response, resolved) => {
      const instanceId = response.headers.get("x-inventiv-instance");
      // Before the answer leaves: a client may follow up the moment it has read it.
      if (response.ok && store && instanceId)
        await responseIndexFor(c.env, c.get("caller").organizationId).remember(responseId, {
          instanceId,
          modelUuid: resolved.model.id,
        });
    },
  });
});

/** GET / DELETE /v1/responses/{id}, POST …/cancel: on the holding host, not metered (nothing is generated). */
async function onHolder(c: Context<AppEnv>, method: "GET" | "POST" | "DELETE", suffix: string): Promise<Response> {
  const id = c.req.param("id") ?? "";
  const held = await heldOr404(c, id, "response_id");
  const caller = c.get("caller");
  const catalog = await getCatalog(c.env, held.modelUuid, (work) => c.executionCtx.waitUntil(work));
  const resolved = resolveModel(catalog, held.modelUuid, caller.organizationId);
  const forwarded = forward(c.env, c.executionCtx, {
    requestId: c.get("requestId"),
    ledgerId: crypto.randomUUID(),
    endpoint: `/v1/responses/${id}${suffix}`,
    payload: "{}",
    method,
    stream: false,
    clientWantsUsage: false,
    promptChars: 0,
    resolved,
    caller,
    sessionKey: null,
    holder: { instanceId: held.instanceId, what: "response" },
    metered: false,
  });
  const log = c.get("accessLog");
  log.until(
    forwarded
      .then(({ settled }) => settled)
      .then((s) => Object.assign(log.fields, settledFields(resolved.model.hfId, s))),
  );
  const { response } = await forwarded;
  if (method === "DELETE" && response.ok) await responseIndexFor(c.env, caller.organizationId).forget(id);
  return response;
}

responseRoutes.get("/:id", (c) => onHolder(c, "GET", ""));
responseRoutes.delete("/:id", (c) => onHolder(c, "DELETE", ""));
responseRoutes.post("/:id/cancel", (c) => onHolder(c, "POST", "/cancel"));
