// How secrets (API keys, worker tokens) are stored and looked up: hex SHA-256, never the secret.
// Dependency-free so the dev seed and tests hash exactly as the Worker does.
const HEX = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, "0"));

export async function sha256Hex(text: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
  let hex = "";
  for (const b of digest) hex += HEX[b];
  return hex;
}
