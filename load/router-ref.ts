// LOAD_ROUTER_REF=<git ref>: run the router built from a commit instead of the working tree — to
// compare two versions, or to measure while the working tree is mid-edit. The ref's files are
// exported to a temp dir (sharing this checkout's node_modules) and its wrangler.toml is handed to
// startRouter. Only the Worker comes from the ref; migrations and the seed stay the working tree's.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const REPO = fileURLToPath(new URL("..", import.meta.url));

export interface RouterSnapshot {
  /** The ref resolved to a commit, for the report. */
  commit: string;
  configPath: string;
  remove(): void;
}

export function exportRouterRef(ref: string): RouterSnapshot {
  let commit: string;
  try {
    commit = execFileSync("git", ["rev-parse", "--verify", `${ref}^{commit}`], {
      cwd: REPO,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    }).trim();
  } catch {
    throw new Error(`LOAD_ROUTER_REF=${ref} is not a commit in ${REPO}`);
  }
  const dir = mkdtempSync(join(tmpdir(), "router-ref-"));
  const remove = (): void => rmSync(dir, { recursive: true, force: true });
  try {
    const archive = execFileSync("git", ["archive", "--format=tar", commit], {
      cwd: REPO,
      maxBuffer: 256 * 1024 * 1024,
    });
    execFileSync("tar", ["-x", "-C", dir], { input: archive });
    symlinkSync(join(REPO, "node_modules"), join(dir, "node_modules"), "dir");
  } catch (err) {
    remove();
    throw err;
  }
  return { commit, configPath: join(dir, "wrangler.toml"), remove };
}
