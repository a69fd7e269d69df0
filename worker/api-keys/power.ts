// What a key may do, compared as a pure function: a key never creates, rotates or widens a key
// with more power than its own (a higher role, more models, or a later expiry).
import type { ApiKeyRole } from "../../schema";

export interface KeyPower {
  role: ApiKeyRole;
  /** Canonical model names; null: every model the organization may use. */
  models: readonly string[] | null;
  /** Epoch ms; null: never expires. */
  expiresAt: number | null;
}

/** The field in which `wanted` exceeds `holder`, or null when it does not. */
export function exceedingField(wanted: KeyPower, holder: KeyPower): "role" | "models" | "expires_at" | null {
  if (wanted.role === "admin" && holder.role !== "admin") return "role";
  if (holder.models !== null) {
    const allowed = new Set(holder.models);
    if (wanted.models === null || wanted.models.some((m) => !allowed.has(m))) return "models";
  }
  if (holder.expiresAt !== null && (wanted.expiresAt === null || wanted.expiresAt > holder.expiresAt))
    return "expires_at";
  return null;
}
