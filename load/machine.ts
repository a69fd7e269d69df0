// How busy the machine was during a run, and how much of that was this run's own process tree
// (generator, stack children, workerd). On a shared 2-core machine another process's test suite
// can double every latency; the report says so instead of leaving the reader to guess.
// Linux /proc only; elsewhere the figures are null.
import { readdirSync, readFileSync } from "node:fs";
import { cpus } from "node:os";

interface Snapshot {
  at: number;
  /** Whole machine: busy and total jiffies since boot. */
  busy: number;
  total: number;
  /** utime + stime jiffies of this process and its descendants alive now, by pid. */
  ours: Map<number, number>;
}

export interface CpuShare {
  cpus: number;
  /** Average over the run, % of all cores. */
  machineBusyPct: number | null;
  ownPct: number | null;
  othersPct: number | null;
  /** This run's share by process role (workerd, wrangler's Node proxy, the stack's children…), largest first. */
  byRole?: { role: string; pct: number }[];
}

/** What a process of this run is, from its command line and the stack's role variable. */
function roleOf(pid: number): string {
  if (pid === process.pid) return "load generator";
  try {
    const cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
    const exe = (cmd[0] ?? "").split("/").pop() ?? "";
    if (exe === "workerd") return "workerd";
    if (cmd.some((a) => a.endsWith("wrangler.js") || a.endsWith("wrangler-dist/cli.js"))) return "wrangler dev (Node)";
    const role = /(?:^|\0)LOAD_STACK_ROLE=(\w+)/.exec(readFileSync(`/proc/${pid}/environ`, "utf8"))?.[1];
    if (role === "control") return "stack: database, seed, ws proxy";
    if (role === "hosts") return "stack: mock GPU hosts";
    return exe || "other";
  } catch {
    return "ended";
  }
}

function machineJiffies(): { busy: number; total: number } {
  const line = readFileSync("/proc/stat", "utf8").split("\n")[0] ?? "";
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const total = v.reduce((a, b) => a + b, 0);
  const idle = (v[3] ?? 0) + (v[4] ?? 0); // idle + iowait
  return { busy: total - idle, total };
}

/** pid → [ppid, utime + stime] for every process. */
function processTable(): Map<number, [number, number]> {
  const table = new Map<number, [number, number]>();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      // Fields after the command name, which is in parentheses and may contain spaces.
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      table.set(Number(name), [Number(f[1]), Number(f[11]) + Number(f[12])]);
    } catch {
      // the process ended while we listed it
    }
  }
  return table;
}

function treeOf(root: number, table: Map<number, [number, number]>): Set<number> {
  const mine = new Set([root]);
  // Parents usually have lower pids, but not always: repeat until no new descendant appears.
  for (let changed = true, rounds = 0; changed && rounds < 10; rounds++) {
    changed = false;
    for (const [pid, [ppid]] of table)
      if (!mine.has(pid) && mine.has(ppid)) {
        mine.add(pid);
        changed = true;
      }
  }
  return mine;
}

/** The pids of this process's descendants alive now (children, wrangler's workerd…); [] without /proc. */
export function descendantPids(): number[] {
  try {
    return [...treeOf(process.pid, processTable())].filter((pid) => pid !== process.pid);
  } catch {
    return [];
  }
}

function snapshot(): Snapshot | null {
  try {
    const { busy, total } = machineJiffies();
    const table = processTable();
    const ours = new Map<number, number>();
    for (const pid of treeOf(process.pid, table)) ours.set(pid, table.get(pid)?.[1] ?? 0);
    return { at: Date.now(), busy, total, ours };
  } catch {
    return null;
  }
}

export class CpuMeter {
  private readonly start = snapshot();

  /** Shares since construction. Processes that started after it count from zero. */
  stop(): CpuShare {
    const n = cpus().length;
    const end = snapshot();
    if (!this.start || !end || end.total <= this.start.total)
      return { cpus: n, machineBusyPct: null, ownPct: null, othersPct: null };
    const total = end.total - this.start.total;
    const busy = end.busy - this.start.busy;
    let own = 0;
    const roles = new Map<string, number>();
    for (const [pid, jiffies] of end.ours) {
      const used = jiffies - (this.start.ours.get(pid) ?? 0);
      own += used;
      const role = roleOf(pid);
      roles.set(role, (roles.get(role) ?? 0) + used);
    }
    const pct = (x: number): number => Math.round((1000 * x) / total) / 10;
    return {
      cpus: n,
      machineBusyPct: pct(busy),
      ownPct: pct(Math.min(own, busy)),
      othersPct: pct(Math.max(0, busy - own)),
      byRole: [...roles]
        .map(([role, jiffies]) => ({ role, pct: pct(jiffies) }))
        .filter((r) => r.pct > 0)
        .sort((a, b) => b.pct - a.pct),
    };
  }
}
