// How secrets (API keys, worker tokens) are stored and looked up: hex SHA-256, never the secret.
// Dependency-free so the dev seed and tests hash exactly as the Worker does.
export async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}
