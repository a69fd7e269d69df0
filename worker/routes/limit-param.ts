// The `limit` query parameter of the list endpoints: absent → the default, else an integer in range.
import { badRequest } from "../errors";

export function parseLimit(raw: string | undefined, defaultLimit: number, maxLimit: number): number {
  if (raw === undefined) return defaultLimit;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > maxLimit)
    throw badRequest(`\`limit\` must be an integer from 1 to ${maxLimit}.`, "limit");
  return n;
}
