// How to run wrangler from Node: its own script on the npm-installed Node 22, since the system
// Node may be older than wrangler accepts and node_modules/.bin may not be on PATH.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const REPO = fileURLToPath(new URL("..", import.meta.url));

export const WRANGLER_SCRIPT = join(REPO, "node_modules", "wrangler", "bin", "wrangler.js");

/** Wrangler needs Node ≥ 22; the system Node may be older, the npm-installed one is not. */
export function nodeBinary(): string {
  const local = join(REPO, "node_modules", ".bin", "node");
  return existsSync(local) ? local : process.execPath;
}

/**
 * The environment wrangler runs in here: offline, no metrics. Two of wrangler's defaults cost the local
 * stack dearly under load and are off unless asked for: its local trace collector (X_LOCAL_OBSERVABILITY:
 * every event of every request, each Durable Object call included, streamed to a collector worker that
 * stores it; about a fifth of the router's CPU in a profile) and its debug log file (WRANGLER_WRITE_LOGS:
 * every line the terminal shows appended once more to a file under ~/.config/.wrangler/logs, a third of
 * wrangler's own CPU at 150 requests/s).
 */
export function wranglerEnv(): NodeJS.ProcessEnv {
  return {
    ...process.env,
    CLOUDFLARE_CF_FETCH_ENABLED: "false",
    WRANGLER_SEND_METRICS: "false",
    X_LOCAL_OBSERVABILITY: process.env.X_LOCAL_OBSERVABILITY ?? "false",
    WRANGLER_WRITE_LOGS: process.env.WRANGLER_WRITE_LOGS ?? "false",
  };
}
