// `env` from cloudflare:test carries the router's bindings.
import type { Env as RouterEnv } from "../../worker/env";

declare global {
  namespace Cloudflare {
    interface Env extends RouterEnv {}
  }
}
