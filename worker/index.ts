// The route table. Everything a request touches starts here; see ARCHITECTURE.md.
import { OpenAPIHono } from "@hono/zod-openapi";
import { HTTPException } from "hono/http-exception";
import { requestId } from "hono/request-id";
import type { AppEnv } from "./app-env";
import { dashboardRoutes } from "./dashboard/app";
import { RouterError } from "./errors";
import { discardUnreadBody, refuseDeclaredOversize } from "./http/body";
import { type AccessLog, accessLog } from "./middleware/access-log";
import { requireAdmin, requireApiKey } from "./middleware/auth";
import { serveOpenApi } from "./openapi/document";
import { adminRoutes } from "./routes/admin";
import { apiKeyRoutes } from "./routes/api-keys";
import { audioUploads, handleSpeech, handleUpload } from "./routes/audio";
import { catalogModelRoutes } from "./routes/catalog-models";
import { healthRoutes } from "./routes/health";
import { hostAgentRoutes } from "./routes/host-agent";
import { handleInference, inferenceEndpoints } from "./routes/inference";
import { metricsRoutes } from "./routes/metrics";
import { modelRoutes } from "./routes/models";
import { offeringRoutes } from "./routes/offerings";
import { organizationRoutes } from "./routes/organizations";
import { responseRoutes } from "./routes/responses";
import { sessionRoutes } from "./routes/sessions";
import { usageRoutes } from "./routes/usage";
import { usageAdminRoutes } from "./routes/usage-admin";
import { handleUtility, utilityEndpoints } from "./routes/utility";

export { FleetObject } from "../durable-objects/fleet";
export { LimiterObject } from "../durable-objects/limiter";
export { ResponseIndex } from "../durable-objects/response-index";
export { SessionObject } from "../durable-objects/session";
export { UsageOutbox } from "../durable-objects/usage-outbox";

// OpenAPIHono: route groups built with createRoute bring their OpenAPI definitions along (openapi/).
const app = new OpenAPIHono<AppEnv>();

app.use(accessLog);
app.use(requestId({ headerName: "X-Request-Id", limitLength: 128 }));
// First, for every route: a bad setting answers 500 config_invalid rather than running on garbage
// (refuseDeclaredOversize reads the config). Bodies are read by the handlers, after authentication
// (http/body.ts); a declared oversize is refused here, before anything is read (uploads have their own limit).
app.use(refuseDeclaredOversize);

app.route("/health", healthRoutes);
app.route("/internal/worker", hostAgentRoutes);
app.route("/metrics", metricsRoutes);

app.use("/v1/*", requireApiKey);
for (const [path, spec] of Object.entries(inferenceEndpoints)) {
  app.post(path, (c) => handleInference(c, path, spec));
}
app.route("/v1/responses", responseRoutes);
for (const path of Object.keys(audioUploads)) app.post(path, (c) => handleUpload(c, path));
app.post("/v1/audio/speech", handleSpeech);
for (const path of Object.keys(utilityEndpoints) as (keyof typeof utilityEndpoints)[]) {
  if (!path.startsWith("/v1/")) app.use(path, requireApiKey);
  app.post(path, (c) => handleUtility(c, path));
}
app.route("/v1/models", modelRoutes);
app.route("/v1/sessions", sessionRoutes);

const adminPaths = ["/deployments", "/instances", "/usage", "/api-keys", "/organizations", "/models", "/offerings"];
for (const path of adminPaths.flatMap((p) => [p, `${p}/*`])) app.use(path, requireApiKey, requireAdmin);
app.route("/", adminRoutes);
app.route("/", apiKeyRoutes);
app.route("/", organizationRoutes);
app.route("/", catalogModelRoutes);
app.route("/", offeringRoutes);
app.route("/", usageRoutes);
app.route("/usage", usageAdminRoutes);
// GET /openapi.json, no key: every route above, described (openapi/document.ts).
serveOpenApi(app);
// Signed-in people: its own session cookie and CSRF checks (dashboard/app.tsx).
app.route("/dashboard", dashboardRoutes);

app.notFound((c) => {
  const failure = new RouterError(404, {
    message: `No route for ${c.req.method} ${c.req.path}.`,
    code: "route_not_found",
  });
  c.get("accessLog").fields.code = failure.code;
  return failure.toResponse();
});
app.onError(async (err, c) => {
  // Hono's own 4xx (e.g. a body that is not JSON, seen by a route's validator) keep their status.
  const known =
    err instanceof RouterError
      ? err
      : err instanceof HTTPException && err.status < 500
        ? new RouterError(err.status, {
            message: err.message,
            code: err.status === 400 ? "invalid_json" : "invalid_request",
          })
        : null;
  // drizzle wraps driver errors ("Failed query"); the cause says what actually went wrong.
  const cause = err.cause instanceof Error ? err.cause.message : undefined;
  if (!known)
    console.error(
      JSON.stringify({
        msg: "unhandled_error",
        request_id: c.get("requestId"),
        error: String(err),
        cause,
        stack: err.stack,
      }),
    );
  const failure = known ?? new RouterError(500, { message: "Internal router error.", code: "internal_error" });
  await discardUnreadBody(c);
  // The access log (middleware/access-log.ts) writes the request's line, with this code in it.
  const log = c.get("accessLog") as AccessLog | undefined;
  if (log) log.fields.code = failure.code;
  return failure.toResponse({ "x-request-id": c.get("requestId") ?? "" });
});

export default app;
