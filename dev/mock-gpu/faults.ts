// Parsing of the fault set posted to POST /_mock/faults (the in-process API takes Faults directly).
import { isObject } from "./parse";
import type { Faults } from "./types";

const NUMBER_FAULTS = ["status", "cutAfterTokens", "streamErrorAfterTokens", "stallAfterTokens"] as const;
const FLAG_FAULTS = ["hang", "refuse", "omitUsage", "engineDead", "htmlPage", "ignoreStream", "cutJsonBody"] as const;

/** POST /_mock/faults body: a Faults object; unknown keys or wrong types are rejected. */
export function parseFaults(text: string): Faults {
  const v: unknown = text.trim() === "" ? {} : JSON.parse(text);
  if (!isObject(v)) throw new Error("faults must be a JSON object");
  const out: Faults = {};
  for (const [key, value] of Object.entries(v)) {
    if (value === null || value === undefined) continue;
    if ((NUMBER_FAULTS as readonly string[]).includes(key)) {
      if (typeof value !== "number" || !Number.isInteger(value) || value < 0)
        throw new Error(`${key} must be a non-negative integer`);
      if (key === "status" && !isHttpStatus(value)) throw new Error("status must be an HTTP status (200..599)");
      out[key as (typeof NUMBER_FAULTS)[number]] = value;
    } else if ((FLAG_FAULTS as readonly string[]).includes(key)) {
      if (typeof value !== "boolean") throw new Error(`${key} must be a boolean`);
      out[key as (typeof FLAG_FAULTS)[number]] = value;
    } else if (key === "redirectTo") {
      if (typeof value !== "string" || !URL.canParse(value)) throw new Error("redirectTo must be a URL");
      out.redirectTo = value;
    } else if (key === "errorMessage") {
      if (typeof value !== "string") throw new Error("errorMessage must be a string");
      out.errorMessage = value;
    } else if (key === "reportedUsage") {
      if (!isObject(value) || typeof value.prompt_tokens !== "number" || typeof value.completion_tokens !== "number")
        throw new Error("reportedUsage must be {prompt_tokens: number, completion_tokens: number}");
      out.reportedUsage = { prompt_tokens: value.prompt_tokens, completion_tokens: value.completion_tokens };
    } else if (key === "failNext") {
      if (!isObject(value) || !Number.isInteger(value.count) || !isHttpStatus(value.status)) {
        throw new Error("failNext must be {count: integer, status: integer}");
      }
      out.failNext = { count: Number(value.count), status: Number(value.status) };
    } else {
      throw new Error(`unknown fault: ${key}`);
    }
  }
  return out;
}

function isHttpStatus(v: unknown): boolean {
  return typeof v === "number" && Number.isInteger(v) && v >= 200 && v <= 599;
}
