// What an API key's secret looks like and what of it is stored: its SHA-256 and a display prefix.
import { sha256Hex } from "../hash";

const PREFIX_LENGTH = 12;

/** "sk-inv-" + 32 hex characters, from the platform's CSPRNG. */
export function newApiKeySecret(): string {
  const hex = [...crypto.getRandomValues(new Uint8Array(16))].map((b) => b.toString(16).padStart(2, "0")).join("");
  return `sk-inv-${hex}`;
}

export async function storedForm(secret: string): Promise<{ keyHash: string; keyPrefix: string }> {
  return { keyHash: await sha256Hex(secret), keyPrefix: secret.slice(0, PREFIX_LENGTH) };
}
