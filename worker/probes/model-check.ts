// GET /v1/models on admission: the host must list the model's Hugging Face id, and accept the router's key.
import type { ModelCheck } from "./probe-state";

/** The verdict on a /v1/models answer (status and body text) for `modelId`. */
export function checkModels(status: number, body: string, modelId: string): ModelCheck {
  if (status === 401 || status === 403) {
    return { ok: false, reason: `the host answered ${status} to /v1/models: its API key is missing or wrong` };
  }
  if (status !== 200) return { ok: false, reason: `the host answered ${status} to /v1/models` };
  let ids: string[];
  try {
    const parsed = JSON.parse(body) as { data?: unknown };
    if (!Array.isArray(parsed.data)) throw new Error("no data");
    ids = parsed.data.flatMap((m: unknown) =>
      typeof m === "object" && m !== null && typeof (m as { id?: unknown }).id === "string"
        ? [(m as { id: string }).id]
        : [],
    );
  } catch {
    return { ok: false, reason: "the host's /v1/models answer is not an OpenAI model list" };
  }
  if (ids.includes(modelId)) return { ok: true };
  const listed = ids.length > 0 ? ids.slice(0, 5).join(", ") : "nothing";
  return { ok: false, reason: `the host serves ${listed}, not ${modelId}` };
}
