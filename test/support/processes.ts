// What a process started, and whether any of it is still there: `ps` once for the tree, then
// each one by pid and name (a reused pid with another name is not ours).
import { execFileSync } from "node:child_process";
import { createConnection } from "node:net";

export interface ProcessInfo {
  pid: number;
  comm: string;
}

function table(): { pid: number; ppid: number; stat: string; comm: string }[] {
  return execFileSync("ps", ["-e", "-o", "pid=,ppid=,stat=,comm="], { encoding: "utf8" })
    .split("\n")
    .map((line) => line.trim().match(/^(\d+)\s+(\d+)\s+(\S+)\s+(.+)$/))
    .filter((m) => m !== null)
    .map(([, pid, ppid, stat, comm]) => ({ pid: Number(pid), ppid: Number(ppid), stat: stat ?? "", comm: comm ?? "" }));
}

/** Every live (not zombie) process below pid. */
export function descendants(pid: number): ProcessInfo[] {
  const all = table().filter((p) => !p.stat.startsWith("Z"));
  const found: ProcessInfo[] = [];
  let frontier = new Set([pid]);
  while (frontier.size > 0) {
    const next = all.filter((p) => frontier.has(p.ppid));
    found.push(...next.map(({ pid, comm }) => ({ pid, comm })));
    frontier = new Set(next.map((p) => p.pid));
  }
  return found;
}

/** Those of `processes` still running under the same name. */
export function stillRunning(processes: ProcessInfo[]): ProcessInfo[] {
  const live = new Map(
    table()
      .filter((p) => !p.stat.startsWith("Z"))
      .map((p) => [p.pid, p.comm]),
  );
  return processes.filter((p) => live.get(p.pid) === p.comm);
}

/** Whether anything accepts TCP connections at the URL's host and port. */
export function listening(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = createConnection(Number(port), hostname);
    socket.once("connect", () => resolve(!socket.destroy()));
    socket.once("error", () => resolve(false));
  });
}
