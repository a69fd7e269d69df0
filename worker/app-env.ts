import type { ApiKeyRole, Limits } from "../schema";
import type { Env } from "./env";
import type { AccessLog } from "./middleware/access-log";

/** Who is calling, from their API key. */
export interface Caller {
  apiKeyId: string;
  organizationId: string;
  organizationSlug: string;
  role: ApiKeyRole;
  /** Admin keys of the platform's organization create organizations and manage global models. */
  platform: boolean;
  /** Canonical names (Hugging Face ids, `org/code` offerings) the key may call; null: all. */
  models: ReadonlySet<string> | null;
  /** Epoch ms after which the key is refused (401 key_expired); null: never. */
  expiresAt: number | null;
  /** The key's own limits and its organization's (memoised with the key: admission reads no Postgres); null: none. */
  keyLimits: Limits | null;
  orgLimits: Limits | null;
}

/** Hono's typing for this app: bindings plus what middlewares put on the context. */
export interface AppEnv {
  Bindings: Env;
  Variables: { requestId: string; caller: Caller; accessLog: AccessLog };
}
