// `limits` as the admin API takes and shows it, on API keys and on organizations: snake_case on the
// wire, the policy's Limits (schema/values.ts) in Postgres and in the limiter. A body replaces the
// whole object; null clears it.
import { z } from "@hono/zod-openapi";
import { budgetPeriods, type Limits } from "../../schema";

/** A ledger amount: an exact decimal string with at most 8 decimals (charged_amount's scale). */
const AMOUNT = /^\d{1,15}(\.\d{1,8})?$/;

const count = (max: number, description: string) =>
  z.number().int("must be a whole number").min(1, "must be at least 1").max(max, `must be at most ${max}`).openapi({
    description,
  });

export const LimitsSchema = z
  .strictObject({
    rpm: count(1_000_000, "Requests per minute (sliding window)").optional(),
    tpm: count(1_000_000_000, "Tokens per minute, input + output (sliding window)").optional(),
    max_concurrent: count(100_000, "Requests in flight; a stream counts until it ends").optional(),
    budget: z
      .strictObject({
        amount: z
          .string('must be a decimal string, e.g. "25.50"')
          .regex(AMOUNT, 'must be a decimal string with at most 8 decimals, e.g. "25.50"')
          .openapi({ description: "In the ledger's currency, like charged_amount" }),
        period: z.enum(budgetPeriods).openapi({ description: "Resets at the start of each UTC day or month" }),
      })
      .optional(),
  })
  .refine((l) => Object.keys(l).length > 0, "must set at least one of rpm, tpm, max_concurrent, budget (null clears)")
  .openapi("Limits", {
    description: "Rate limits and a spend cap; over them requests get 429 (rate_limit_exceeded, insufficient_quota)",
  });

export type LimitsWire = z.infer<typeof LimitsSchema>;

/** Optional in a body: absent keeps what is stored, null clears it. */
export const limitsField = LimitsSchema.nullable().optional();

export function limitsFromWire(w: LimitsWire): Limits {
  return {
    ...(w.rpm === undefined ? {} : { rpm: w.rpm }),
    ...(w.tpm === undefined ? {} : { tpm: w.tpm }),
    ...(w.max_concurrent === undefined ? {} : { maxConcurrent: w.max_concurrent }),
    ...(w.budget === undefined ? {} : { budget: { amount: w.budget.amount, period: w.budget.period } }),
  };
}

export function presentLimits(l: Limits | null): LimitsWire | null {
  if (l === null) return null;
  return {
    ...(l.rpm === undefined ? {} : { rpm: l.rpm }),
    ...(l.tpm === undefined ? {} : { tpm: l.tpm }),
    ...(l.maxConcurrent === undefined ? {} : { max_concurrent: l.maxConcurrent }),
    ...(l.budget === undefined ? {} : { budget: l.budget }),
  };
}

/** A body's `limits` in the policy's form: absent stays absent (keep), null clears. */
export const limitsOfBody = (field: LimitsWire | null | undefined): Limits | null | undefined =>
  field === undefined || field === null ? field : limitsFromWire(field);

/** What a body's `limits` makes of the stored value. */
export const limitsToStore = (field: LimitsWire | null | undefined, stored: Limits | null): Limits | null =>
  field === undefined ? stored : (limitsOfBody(field) ?? null);
