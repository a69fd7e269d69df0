// THE thresholds, in one place. Starting point: the seed's objectives (k6 chat profile) mapped to
// this router's endpoints, measured with a zero-delay mock GPU host:
//   POST /api/chat               p95 < 300 ms, p99 < 500 ms, errors < 1 %, > 50 req/s at 100 users
//   GET /api/chat/conversations  p95 < 100 ms, p99 < 200 ms   → GET /v1/sessions
//   GET /api/memory/search       p95 < 200 ms, p99 < 400 ms   → GET /v1/models
// Streams get the chat limits for the whole answer plus a time-to-first-chunk limit of their own;
// /health (no seed objective) gets the models limits; the Responses API, chat's. The voice profile,
// the seed's Voice API objectives (k6 voice profile and its table):
//   POST /api/voice/synthesize   p95 < 1500 ms, p99 < 2500 ms, errors < 5 %  → POST /v1/audio/speech
//   POST /api/voice/transcribe   p95 < 2000 ms, p99 < 3000 ms, errors < 5 %  → POST /v1/audio/transcriptions
// (its RPS objectives are "at 100 users"; the voice profile peaks at 20, so they have no stage here). Error limits are enforced in every profile,
// latency and throughput only where the profile says so (not in smoke: CI machines are noisy).
import type { EndpointName } from "./endpoints";

export interface EndpointLimits {
  p95Ms?: number;
  p99Ms?: number;
  /** Streams only: time from sending the request to the first SSE event. */
  ttfcP95Ms?: number;
  /** Failed or invalid responses / all responses. */
  maxErrorRate: number;
}

export interface ThroughputLimit {
  name: string;
  /** Responses of these endpoints count together. */
  endpoints: EndpointName[];
  /** Measured over the profile stage with this label; skipped by profiles without it. */
  stage: string;
  minRps: number;
}

export const ENDPOINT_LIMITS: Record<EndpointName, EndpointLimits> = {
  chat: { p95Ms: 300, p99Ms: 500, maxErrorRate: 0.01 },
  chat_stream: { p95Ms: 300, p99Ms: 500, ttfcP95Ms: 200, maxErrorRate: 0.01 },
  responses: { p95Ms: 300, p99Ms: 500, maxErrorRate: 0.01 },
  responses_stream: { p95Ms: 300, p99Ms: 500, ttfcP95Ms: 200, maxErrorRate: 0.01 },
  sessions: { p95Ms: 100, p99Ms: 200, maxErrorRate: 0.01 },
  models: { p95Ms: 200, p99Ms: 400, maxErrorRate: 0.01 },
  health: { p95Ms: 200, p99Ms: 400, maxErrorRate: 0.01 },
  tts: { p95Ms: 1500, p99Ms: 2500, maxErrorRate: 0.05 },
  stt: { p95Ms: 2000, p99Ms: 3000, maxErrorRate: 0.05 },
};

export const THROUGHPUT_LIMITS: ThroughputLimit[] = [
  { name: "chat req/s at 100 users", endpoints: ["chat", "chat_stream"], stage: "peak", minRps: 50 },
];
