import type { ApiKeyRole } from "../schema";
import type { Env } from "./env";
import type { AccessLog } from "./middleware/access-log";

/** Who is calling, from their API key. */
export interface Caller {
  apiKeyId: string;
  organizationId: string;
  organizationSlug: string;
  role: ApiKeyRole;
}

/** Hono's typing for this app: bindings plus what middlewares put on the context. */
export interface AppEnv {
  Bindings: Env;
  Variables: { requestId: string; caller: Caller; accessLog: AccessLog };
}
