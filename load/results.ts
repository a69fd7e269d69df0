// The saved form of a run: one JSON file (figures, timeline, threshold outcomes) and the HTML
// report drawn from it, side by side in load/results/ under the same timestamped name.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { EndpointName } from "./endpoints";
import type { ThresholdOutcome } from "./evaluate";
import type { LimitsResult } from "./limits";
import type { CpuShare } from "./machine";
import type { EndpointSummary, Timeline } from "./metrics";
import type { ProfileName, Stage } from "./profiles";
import { renderReport } from "./report/html";

export interface RunResult {
  schema: "inventiv-load-result/1";
  profile: ProfileName;
  description: string;
  startedAt: string;
  finishedAt: string;
  durationS: number;
  target: { baseUrl: string; model: string; stack: string; stackLog: string | null };
  settings: {
    timeScale: number;
    thinkMs: readonly [number, number];
    streamShare: number;
    sessionShare: number;
    maxTokens: number;
    sessionsOptional: boolean;
  };
  stages: Stage[];
  /** CPU use during the run: the whole machine, this run's processes, everything else. */
  machine: CpuShare;
  endpoints: Record<EndpointName, EndpointSummary>;
  totals: { requests: number; errors: number; rps: number; abandoned: number };
  timeline: Timeline;
  /** The limits scenario's figures; null (or absent in older results) without it. */
  limits?: LimitsResult | null;
  thresholds: ThresholdOutcome[];
  passed: boolean;
}

export const RESULTS_DIR = fileURLToPath(new URL("./results/", import.meta.url));

/** Writes <profile>-<timestamp>.json and .html; returns both paths. */
export function saveResult(result: RunResult, dir = RESULTS_DIR): { json: string; html: string } {
  mkdirSync(dir, { recursive: true });
  const stamp = result.startedAt.replace(/[:.]/g, "-").replace(/Z$/, "");
  const base = join(dir, `${result.profile}-${stamp}`);
  const json = `${base}.json`;
  const html = `${base}.html`;
  writeFileSync(json, JSON.stringify(result, null, 2));
  writeFileSync(html, renderReport(result));
  return { json, html };
}
