// The dashboard, mounted at /dashboard as one sub-app: server-rendered pages (hono/jsx) for people
// signed in with an API key. State-changing requests are form POSTs guarded twice against CSRF: the
// Origin check of hono/csrf, and the session's token in a hidden field. The admin API never reads
// the cookie: it wants a key in a header, so a cross-site request can never act with the session.
import { type Context, Hono } from "hono";
import { csrf } from "hono/csrf";
import { HTTPException } from "hono/http-exception";
import { changeInstanceStatus, type StatusChange, statusChanges } from "../admin/status-change";
import type { AppEnv } from "../app-env";
import { RouterError } from "../errors";
import { sha256Hex } from "../hash";
import { callerForKeyHash } from "../middleware/auth";
import { ErrorPage } from "./error-page";
import { mayOpen, type PageName, pages } from "./layout";
import { fleetPage } from "./pages/fleet";
import { createKeyAction, keysPage, revokeKeyAction, rotateKeyAction } from "./pages/keys";
import { modelsPage } from "./pages/models";
import { requestsPage } from "./pages/requests";
import { sessionsPage } from "./pages/sessions";
import { SignInPage } from "./pages/sign-in";
import { usagePage } from "./pages/usage";
import { type DashboardSession, endSession, readSession, startSession } from "./session";

const landing = (s: DashboardSession) => (s.caller.role === "admin" ? pages.fleet.path : pages.usage.path);

type Handler = (c: Context<AppEnv>, session: DashboardSession) => Response | Promise<Response>;

/**
 * Runs `handler` for a signed-in caller allowed on `page`; without a session, GET goes to the sign-in
 * page and anything else is refused. A state-changing request must carry the session's CSRF token.
 */
function signedIn(handler: Handler, page?: PageName) {
  return async (c: Context<AppEnv>): Promise<Response> => {
    const session = await readSession(c);
    if (!session) {
      endSession(c);
      if (c.req.method === "GET") return c.redirect("/dashboard/sign-in");
      return c.html(<SignInPage error="Your session has ended; sign in again." />, 401);
    }
    c.set("caller", session.caller);
    sessions.set(c.req.raw, session);
    if (c.req.method !== "GET" && formField(await c.req.parseBody(), "_csrf") !== session.csrf)
      throw new RouterError(403, {
        message: "This form is not from your session; reload the page and try again.",
        code: "csrf_token_invalid",
      });
    if (page && !mayOpen(session.caller.role, pages[page]))
      throw new RouterError(403, { message: `${pages[page].title} needs an admin key.`, code: "admin_required" });
    return handler(c, session);
  };
}

/** The request's session, for the error page's navigation. */
const sessions = new WeakMap<Request, DashboardSession>();

const formField = (body: Record<string, unknown>, name: string) => {
  const v = body[name];
  return typeof v === "string" ? v : "";
};

export const dashboardRoutes = new Hono<AppEnv>()
  // Form posts from another origin are refused (403) before anything else, sign-in included.
  .use(csrf())
  .get("/sign-in", async (c) => {
    const session = await readSession(c);
    return session ? c.redirect(landing(session)) : c.html(<SignInPage />);
  })
  .post("/sign-in", async (c) => {
    const key = formField(await c.req.parseBody(), "key").trim();
    if (!key) return c.html(<SignInPage error="Enter an API key." />, 400);
    const hash = await sha256Hex(key);
    try {
      const caller = await callerForKeyHash(c, hash);
      await startSession(c, hash, caller);
      return c.redirect(caller.role === "admin" ? pages.fleet.path : pages.usage.path, 303);
    } catch (err) {
      if (!(err instanceof RouterError) || err.status !== 401) throw err;
      // 200, not 401: the form is shown again, with the reason (a browser logs a 401 page as an error).
      return c.html(<SignInPage error="That API key is not valid, or it was revoked." />);
    }
  })
  .get(
    "/",
    signedIn((c, s) => c.redirect(landing(s))),
  )
  .post(
    "/sign-out",
    signedIn((c) => {
      endSession(c);
      return c.html(<SignInPage notice="Signed out." />);
    }),
  )
  .get("/fleet", signedIn(fleetPage, "fleet"))
  .post(
    "/instances/:id/:change",
    signedIn(async (c, s) => {
      const change = c.req.param("change") ?? "";
      if (!Object.hasOwn(statusChanges, change))
        throw new RouterError(404, { message: `No action \`${change}\`.`, code: "route_not_found" });
      await changeInstanceStatus(c.env, s.caller.organizationId, c.req.param("id") ?? "", change as StatusChange);
      return c.redirect(pages.fleet.path, 303);
    }, "fleet"),
  )
  .get("/keys", signedIn(keysPage, "keys"))
  .post("/keys", signedIn(createKeyAction, "keys"))
  .post("/keys/:id/rotate", signedIn(rotateKeyAction, "keys"))
  .post("/keys/:id/revoke", signedIn(revokeKeyAction, "keys"))
  .get("/usage", signedIn(usagePage, "usage"))
  .get("/requests", signedIn(requestsPage, "requests"))
  .get("/sessions", signedIn(sessionsPage, "sessions"))
  .get("/models", signedIn(modelsPage, "models"))
  .onError((err, c) => {
    // hono/csrf refuses a cross-origin form post with its own 403.
    const known =
      err instanceof RouterError
        ? err
        : err instanceof HTTPException && err.status === 403
          ? new RouterError(403, {
              message: "This request came from another site and was refused.",
              code: "csrf_origin",
            })
          : null;
    if (!known)
      console.error(
        JSON.stringify({ msg: "unhandled_error", route: c.req.path, error: String(err), stack: err.stack }),
      );
    const status = known?.status ?? 500;
    c.get("accessLog").fields.code = known?.code ?? "internal_error";
    const session = sessions.get(c.req.raw);
    return c.html(
      <ErrorPage session={session} status={status} message={known?.message ?? "Something went wrong on our side."} />,
      status,
    );
  });
