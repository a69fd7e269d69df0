// Ramping virtual users (k6's "ramping-vus" executor): a scheduler tick adjusts the number of VUs
// to the profile's target; each VU loops pick-task → run → think until it is told to stop.
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import type { Sample } from "./metrics";
import { MIXES, pickTask } from "./mixes";
import { type Profile, targetVus, totalDurationS } from "./profiles";
import { type TaskContext, VirtualUser } from "./tasks";

export interface Progress {
  elapsedS: number;
  totalS: number;
  vus: number;
  /** Responses per second and errors since the previous report. */
  rps: number;
  errors: number;
}

export interface RunHooks {
  record: (s: Sample) => void;
  noteVus: (elapsedMs: number, vus: number) => void;
  onProgress?: (p: Progress) => void;
  /** Stop waiting for in-flight requests this long after the last stage (they are dropped). */
  graceMs: number;
}

export interface RunOutcome {
  durationS: number;
  /** Requests still in flight when the grace period ran out; their samples were dropped. */
  abandoned: number;
}

interface Handle {
  stop: AbortController;
  done: Promise<void>;
}

const TICK_MS = 100;
const PROGRESS_EVERY_MS = 5_000;

export async function runProfile(
  profile: Profile,
  base: Omit<TaskContext, "elapsedMs" | "record">,
  hooks: RunHooks,
): Promise<RunOutcome> {
  const t0 = performance.now();
  const elapsedMs = (): number => performance.now() - t0;
  const totalMs = totalDurationS(profile) * 1000;
  let accepting = true;
  let inFlight = 0;
  let windowCount = 0;
  let windowErrors = 0;
  const ctx: TaskContext = {
    ...base,
    elapsedMs,
    record: (s) => {
      if (!accepting) return;
      windowCount += 1;
      if (s.error !== undefined) windowErrors += 1;
      hooks.record(s);
    },
  };

  const active: Handle[] = [];
  const all: Promise<void>[] = [];
  let nextId = 1;
  const spawn = (): void => {
    const stop = new AbortController();
    const vu = new VirtualUser(nextId++, base.runId);
    const done = (async () => {
      while (!stop.signal.aborted && elapsedMs() < totalMs) {
        inFlight += 1;
        try {
          await pickTask(MIXES[profile.mix], base.random()).run(vu, ctx);
        } finally {
          inFlight -= 1;
        }
        const [lo, hi] = base.config.thinkMs;
        await sleep(lo + base.random() * (hi - lo), undefined, { signal: stop.signal }).catch(() => undefined);
      }
    })();
    active.push({ stop, done });
    all.push(done);
  };

  let lastProgress = 0;
  // Bounded by the profile's duration: one tick per TICK_MS until the last stage ends.
  while (elapsedMs() < totalMs) {
    const now = elapsedMs();
    const target = targetVus(profile, now / 1000);
    while (active.length < target) spawn();
    while (active.length > target) active.pop()?.stop.abort(); // finishes its current request, then leaves
    hooks.noteVus(now, active.length);
    if (hooks.onProgress && now - lastProgress >= PROGRESS_EVERY_MS) {
      hooks.onProgress({
        elapsedS: now / 1000,
        totalS: totalMs / 1000,
        vus: active.length,
        rps: (windowCount * 1000) / Math.max(1, now - lastProgress),
        errors: windowErrors,
      });
      lastProgress = now;
      windowCount = 0;
      windowErrors = 0;
    }
    await sleep(TICK_MS);
  }
  for (const h of active.splice(0)) h.stop.abort();
  const durationS = elapsedMs() / 1000;

  const settled = Promise.all(all).then(() => true);
  const timedOut = sleep(hooks.graceMs).then(() => false);
  const finished = await Promise.race([settled, timedOut]);
  accepting = false;
  return { durationS, abandoned: finished ? 0 : inFlight };
}
