// Who may register a host URL. A host's vLLM --api-key proves ownership: a host started with it answers
// 401 to the router without it. A URL another organization already registered is refused unless the
// request carries that host's working key, so the router never lends one tenant's private host (one
// reachable only through the router, e.g. behind a tunnel) to another.

/** One spelling per host: lower-case scheme and host, default port dropped, no trailing slash. */
export function normalizeBaseUrl(raw: string): string | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return null;
  }
  if ((url.protocol !== "http:" && url.protocol !== "https:") || url.username || url.password) return null;
  if (url.search || url.hash) return null;
  return `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, "")}`;
}

async function modelsStatus(baseUrl: string, apiKey: string | null, timeoutMs: number): Promise<number> {
  try {
    const res = await fetch(`${baseUrl}/v1/models`, {
      headers: apiKey ? { authorization: `Bearer ${apiKey}` } : {},
      redirect: "manual",
      signal: AbortSignal.timeout(timeoutMs),
    });
    await res.body?.cancel();
    return res.status;
  } catch {
    return 0;
  }
}

/**
 * The key is the host's working key: with it /v1/models answers 200, without it 401 or 403. A keyless
 * host proves nothing (anyone's key "works"), and neither does an unreachable one.
 */
export async function provesHostKey(baseUrl: string, apiKey: string, timeoutMs: number): Promise<boolean> {
  const [withKey, without] = await Promise.all([
    modelsStatus(baseUrl, apiKey, timeoutMs),
    modelsStatus(baseUrl, null, timeoutMs),
  ]);
  return withKey === 200 && (without === 401 || without === 403);
}
