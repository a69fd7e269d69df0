// One probe round against a host: GET /health (alive or not), GET /metrics (load, best effort) and, when
// asked, GET /v1/models (does it serve the model, does it take our key). Run by the fleet's alarm only.
import { type LoadSample, readLoadSignals } from "./load-signals";
import { checkModels } from "./model-check";
import type { ProbeResult } from "./probe-state";

export interface ProbeTarget {
  baseUrl: string;
  /** The host's own vLLM --api-key, sent as Bearer on every probe. */
  apiKey: string | null;
  /** The Hugging Face id /v1/models must list. */
  modelId: string;
  checkModels: boolean;
}

export interface ProbeOutcome {
  result: ProbeResult;
  /** null when /metrics did not answer with vLLM's gauges (the probe still counts as good). */
  load: LoadSample | null;
  /** When the round started: the load sample is at least this fresh. */
  startedAt: number;
}

async function get(t: ProbeTarget, path: string, timeoutMs: number): Promise<{ status: number; body: string }> {
  const res = await fetch(t.baseUrl + path, {
    headers: t.apiKey ? { authorization: `Bearer ${t.apiKey}` } : {},
    // A host's redirect must not send the router, and the key, elsewhere.
    redirect: "manual",
    signal: AbortSignal.timeout(timeoutMs),
  });
  return { status: res.status, body: await res.text() };
}

const describeError = (err: unknown): string =>
  err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError")
    ? "no answer in time"
    : `unreachable: ${err instanceof Error ? err.message : String(err)}`.slice(0, 200);

export async function probeHost(t: ProbeTarget, timeoutMs: number): Promise<ProbeOutcome> {
  const startedAt = Date.now();
  const never = (err: unknown) => ({ status: 0, body: describeError(err) });
  const [health, metrics, models] = await Promise.all([
    get(t, "/health", timeoutMs).catch(never),
    get(t, "/metrics", timeoutMs).catch(never),
    t.checkModels ? get(t, "/v1/models", timeoutMs).catch(never) : undefined,
  ]);
  if (health.status !== 200) {
    const error = health.status === 0 ? health.body : `/health answered ${health.status}`;
    return { result: { alive: false, error }, load: null, startedAt };
  }
  const load = metrics.status === 200 ? readLoadSignals(metrics.body) : null;
  if (!models) return { result: { alive: true }, load, startedAt };
  // /v1/models not answering at all is a failed round, not a verdict on the model.
  if (models.status === 0) return { result: { alive: false, error: `/v1/models: ${models.body}` }, load, startedAt };
  return { result: { alive: true, models: checkModels(models.status, models.body, t.modelId) }, load, startedAt };
}
