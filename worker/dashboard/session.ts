// Dashboard sessions: an API key signs in once; the browser then holds a signed, HttpOnly,
// SameSite=Strict cookie (a JWT, HS256 with SESSION_SECRET) naming the key's hash, organization and
// role, and a CSRF token. The key itself is never stored. Every dashboard request re-checks the key
// through auth.ts's memo, so a revoked key ends its sessions without a query on the inference path.
import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { sign, verify } from "hono/jwt";
import type { ApiKeyRole } from "../../schema";
import type { AppEnv, Caller } from "../app-env";
import { configOf } from "../config";
import { RouterError } from "../errors";
import { callerForKeyHash } from "../middleware/auth";

export const SESSION_COOKIE = "inv_dashboard";
export const COOKIE_PATH = "/dashboard";

interface SessionClaims {
  /** SHA-256 of the API key that signed in. */
  kh: string;
  org: string;
  role: ApiKeyRole;
  csrf: string;
  exp: number;
  [claim: string]: unknown;
}

export interface DashboardSession {
  caller: Caller;
  csrf: string;
}

function secretOf(c: Context<AppEnv>): string {
  const secret = c.env.SESSION_SECRET;
  if (!secret || secret.length < 32)
    throw new RouterError(503, {
      message: "The dashboard is not configured: set SESSION_SECRET (32 characters or more).",
      code: "dashboard_unconfigured",
    });
  return secret;
}

/** Secure everywhere but loopback, where the local stack serves plain http. */
const isLoopback = (hostname: string) => hostname === "localhost" || hostname === "[::1]" || /^127\./.test(hostname);

const randomToken = () =>
  [...crypto.getRandomValues(new Uint8Array(16))].map((b) => b.toString(16).padStart(2, "0")).join("");

export async function startSession(c: Context<AppEnv>, keyHash: string, caller: Caller): Promise<void> {
  const ttl = configOf(c.env).DASHBOARD_SESSION_SECONDS;
  const claims: SessionClaims = {
    kh: keyHash,
    org: caller.organizationId,
    role: caller.role,
    csrf: randomToken(),
    exp: Math.floor(Date.now() / 1000) + ttl,
  };
  setCookie(c, SESSION_COOKIE, await sign(claims, secretOf(c), "HS256"), {
    path: COOKIE_PATH,
    httpOnly: true,
    secure: !isLoopback(new URL(c.req.url).hostname),
    sameSite: "Strict",
    maxAge: ttl,
  });
}

export function endSession(c: Context<AppEnv>): void {
  deleteCookie(c, SESSION_COOKIE, { path: COOKIE_PATH });
}

const isClaims = (v: Record<string, unknown>): v is SessionClaims =>
  typeof v.kh === "string" && typeof v.org === "string" && typeof v.csrf === "string" && typeof v.role === "string";

/**
 * The signed-in caller, or null (no cookie, a bad or expired signature, a revoked key, a key whose
 * organization or role changed). 503 when keys cannot be verified right now.
 */
export async function readSession(c: Context<AppEnv>): Promise<DashboardSession | null> {
  const token = getCookie(c, SESSION_COOKIE);
  if (!token) return null;
  let claims: Record<string, unknown>;
  try {
    claims = await verify(token, secretOf(c), "HS256");
  } catch (err) {
    if (err instanceof RouterError) throw err;
    return null;
  }
  if (!isClaims(claims)) return null;
  let caller: Caller;
  try {
    caller = await callerForKeyHash(c, claims.kh);
  } catch (err) {
    if (err instanceof RouterError && err.status === 401) return null;
    throw err;
  }
  if (caller.organizationId !== claims.org || caller.role !== claims.role) return null;
  return { caller, csrf: claims.csrf };
}
