// CPU time of the workerd processes a benchmark started (Linux /proc), so a Worker's cost per
// request can be read even on a busy machine where wall-clock latency is noisy.
import { readdirSync, readFileSync, readlinkSync } from "node:fs";

const TICK_MS = 10; // USER_HZ is 100 on Linux

/** Pids of workerd processes that are children of this process. */
export function workerdChildren(): Set<number> {
  const out = new Set<number>();
  let entries: string[] = [];
  try {
    entries = readdirSync("/proc");
  } catch {
    return out; // not Linux: CPU figures are left out
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(Number(entry));
    if (stat && stat.comm === "workerd" && stat.ppid === process.pid) out.add(Number(entry));
  }
  return out;
}

/** User + system CPU milliseconds the process has used so far (NaN when unknown). */
export function cpuMs(pid: number | undefined): number {
  const stat = pid === undefined ? null : readStat(pid);
  return stat ? stat.ticks * TICK_MS : NaN;
}

function readStat(pid: number): { comm: string; ppid: number; ticks: number } | null {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = s.slice(s.lastIndexOf(")") + 2).split(" ");
    return {
      comm: s.slice(s.indexOf("(") + 1, s.lastIndexOf(")")),
      ppid: Number(fields[1]),
      ticks: Number(fields[11]) + Number(fields[12]),
    };
  } catch {
    return null;
  }
}

/** The workerd process listening on `port` (any owner), found through its socket's inode. */
export function workerdListeningOn(port: number): number | undefined {
  const inodes = new Set<string>();
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text = "";
    try {
      text = readFileSync(table, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const f = line.trim().split(/\s+/);
      const local = f[1]?.split(":")[1];
      // State 0A is LISTEN.
      if (local && Number.parseInt(local, 16) === port && f[3] === "0A" && f[9]) inodes.add(f[9]);
    }
  }
  if (inodes.size === 0) return undefined;
  for (const entry of safeReaddir("/proc")) {
    if (!/^\d+$/.test(entry) || readStat(Number(entry))?.comm !== "workerd") continue;
    for (const fd of safeReaddir(`/proc/${entry}/fd`)) {
      try {
        const link = readlinkSync(`/proc/${entry}/fd/${fd}`);
        if (inodes.has(link.slice("socket:[".length, -1))) return Number(entry);
      } catch {}
    }
  }
  return undefined;
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
