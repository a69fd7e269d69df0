// Load profiles as k6-style stages: each stage moves the virtual-user count linearly from the
// previous stage's target to its own over its duration.
import type { LoadConfig } from "./config";
import type { MixName } from "./mixes";

export type ProfileName = "smoke" | "ramp" | "soak" | "voice";

export interface Stage {
  durationS: number;
  target: number;
  /** Named stages can be referenced by thresholds (e.g. throughput during "peak"). */
  label?: string;
}

export interface Profile {
  name: ProfileName;
  description: string;
  stages: Stage[];
  /** Latency and throughput thresholds fail the run only when enforced; error thresholds always do. */
  enforceLatency: boolean;
  /** The tasks its users pick from (mixes.ts). */
  mix: MixName;
}

export const PROFILE_NAMES: readonly ProfileName[] = ["smoke", "ramp", "soak", "voice"];

export function isProfileName(name: string): name is ProfileName {
  return (PROFILE_NAMES as readonly string[]).includes(name);
}

const scaled = (stages: Stage[], factor: number): Stage[] =>
  stages.map((s) => ({ ...s, durationS: s.durationS * factor }));

/** A profile whose latency thresholds are enforced, its stages × the time scale. */
const enforced = (name: ProfileName, description: string, stages: Stage[], mix: MixName, factor: number): Profile => ({
  name,
  description,
  stages: scaled(stages, factor),
  enforceLatency: true,
  mix,
});

export function buildProfile(name: ProfileName, config: LoadConfig): Profile {
  const { timeScale } = config;
  switch (name) {
    case "smoke":
      return {
        name,
        description: "a few users for ~15 s: every task runs, errors fail the run, latency is only reported",
        stages: [
          { durationS: 2, target: 5 },
          { durationS: 11, target: 5, label: "hold" },
          { durationS: 2, target: 0 },
        ],
        enforceLatency: false,
        mix: "chat",
      };
    case "ramp":
      // The seed's chat profile: 0→10 (30 s), →50 (60 s), hold 50 (2 min), →100 (30 s), hold 100 (1 min), →0 (30 s).
      return enforced(
        name,
        `0→10→50 users, hold, peak 100, down (5.5 min × ${timeScale})`,
        [
          { durationS: 30, target: 10 },
          { durationS: 60, target: 50 },
          { durationS: 120, target: 50, label: "hold-50" },
          { durationS: 30, target: 100 },
          { durationS: 60, target: 100, label: "peak" },
          { durationS: 30, target: 0 },
        ],
        "chat",
        timeScale,
      );
    case "soak":
      return enforced(
        name,
        `${config.soakVus} users held for ${config.soakMinutes} min × ${timeScale}`,
        [
          { durationS: 30, target: config.soakVus },
          { durationS: config.soakMinutes * 60, target: config.soakVus, label: "steady" },
          { durationS: 30, target: 0 },
        ],
        "chat",
        timeScale,
      );
    case "voice":
      // The seed's voice profile: 0→5 (30 s), →20 (60 s), hold 20 (2 min), →0 (30 s); TTS 5, STT 3, TTS→STT 1.
      return enforced(
        name,
        `the seed's Voice API: 0→5→20 users, hold, down (4 min × ${timeScale})`,
        [
          { durationS: 30, target: 5 },
          { durationS: 60, target: 20 },
          { durationS: 120, target: 20, label: "hold-20" },
          { durationS: 30, target: 0 },
        ],
        "voice",
        timeScale,
      );
  }
}

export function totalDurationS(profile: Profile): number {
  return profile.stages.reduce((sum, s) => sum + s.durationS, 0);
}

/** Target virtual users `elapsedS` into the run (linear within a stage). */
export function targetVus(profile: Profile, elapsedS: number): number {
  let from = 0;
  let start = 0;
  for (const stage of profile.stages) {
    const end = start + stage.durationS;
    if (elapsedS < end) {
      const progress = stage.durationS > 0 ? (elapsedS - start) / stage.durationS : 1;
      return Math.round(from + (stage.target - from) * progress);
    }
    from = stage.target;
    start = end;
  }
  return 0;
}

/** [start, end) seconds of the stage with this label. */
export function stageWindow(profile: Profile, label: string): { fromS: number; toS: number; vus: number } | undefined {
  let start = 0;
  for (const stage of profile.stages) {
    if (stage.label === label) return { fromS: start, toS: start + stage.durationS, vus: stage.target };
    start += stage.durationS;
  }
  return undefined;
}
