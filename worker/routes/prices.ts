// Shared pieces of the catalog routes: exact decimal prices (strings, as Postgres numeric keeps
// them) and telling a unique-key clash from other database errors.
import { z } from "@hono/zod-openapi";

/** numeric(12, 6): up to 6 digits before the point and 6 after. */
const decimal = z.string().regex(/^\d{1,6}(\.\d{1,6})?$/, 'must be a decimal string like "0.5" (up to 6 decimals)');

export const Price = decimal.openapi({
  description: "Price per 1000 tokens, an exact decimal as a string",
  example: "0.5",
});
export const AudioSecondPrice = decimal.openapi({
  description: "Transcriptions and translations: price per second of audio in, an exact decimal as a string",
  example: "0.0001",
});
export const CharacterPrice = decimal.openapi({
  description: "Speech: price per character of text in, an exact decimal as a string",
  example: "0.000015",
});

/** Postgres 23505, however deep drizzle and the driver wrapped it. */
export function isUniqueViolation(err: unknown): boolean {
  for (let e: unknown = err; e instanceof Error || (typeof e === "object" && e !== null); ) {
    if ((e as { code?: unknown }).code === "23505") return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}
