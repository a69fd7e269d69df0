// The seed plan's shell scripts (scripts/*.sh), run as a user runs them: bash + curl, settings in
// the environment, success or failure told by the exit code and the lines printed.
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";

const SCRIPTS = fileURLToPath(new URL("../../scripts/", import.meta.url));

export interface ScriptRun {
  code: number;
  /** stdout then stderr. */
  out: string;
}

export function runScript(name: string, env: Record<string, string>, timeoutMs = 60_000): Promise<ScriptRun> {
  return new Promise((resolve) => {
    execFile(
      "bash",
      [`${SCRIPTS}${name}`],
      { env: { ...process.env, ...env }, timeout: timeoutMs },
      (error, stdout, stderr) =>
        resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, out: stdout + stderr }),
    );
  });
}
