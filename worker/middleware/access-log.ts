// The one access-log line: exactly one JSON line per request, on every route, written once the
// response is known, or, for a request that asks for it (a stream), once its body has ended, off the
// response path (waitUntil). Handlers add their own fields (model, instance, tokens…) to the same line.
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { matchedRoutes } from "hono/route";
import type { AppEnv } from "../app-env";

export type LogFields = Record<string, string | number | boolean | null | undefined>;

/** What a handler or error handler can add to its request's line. */
export interface AccessLog {
  /** Merged into the line, after the middleware's own fields (a handler's `status` wins). */
  readonly fields: LogFields;
  /** Write the line when `done` settles instead of when the response is returned (a stream's end). */
  until(done: Promise<unknown>): void;
}

/** The pattern of the route that answered (`/v1/models/:id`), null when none matched (404). */
const routeOf = (c: Context<AppEnv>): string | null =>
  matchedRoutes(c).findLast((r) => r.method !== "ALL")?.path ?? null;

export const accessLog = createMiddleware<AppEnv>(async (c, next) => {
  const started = Date.now();
  let deferred = false;
  const log: AccessLog = {
    fields: {},
    until: (done) => {
      deferred = true;
      // Registered by the handler before it awaits anything, so a client leaving early cannot lose the line.
      c.executionCtx.waitUntil(done.then(write, write));
    },
  };
  const write = () =>
    console.log(
      JSON.stringify({
        msg: "request",
        request_id: c.get("requestId"),
        method: c.req.method,
        route: routeOf(c),
        status: c.res.status,
        org: c.get("caller")?.organizationSlug ?? null,
        ...log.fields,
        duration_ms: Date.now() - started,
      }),
    );
  c.set("accessLog", log);
  await next();
  if (!deferred) write();
});
