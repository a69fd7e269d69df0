// The endpoints the scenarios measure, each reported on its own row and chart.
export type EndpointName =
  | "chat"
  | "chat_stream"
  | "responses"
  | "responses_stream"
  | "sessions"
  | "models"
  | "health"
  | "tts"
  | "stt";

export interface EndpointInfo {
  /** What the report shows next to the name. */
  request: string;
  /** Chart colour (also used by the HTML report's legend). */
  color: string;
}

export const ENDPOINTS: Record<EndpointName, EndpointInfo> = {
  chat: { request: "POST /v1/chat/completions", color: "#2563eb" },
  chat_stream: { request: "POST /v1/chat/completions (stream)", color: "#7c3aed" },
  responses: { request: "POST /v1/responses", color: "#0891b2" },
  responses_stream: { request: "POST /v1/responses (stream)", color: "#db2777" },
  sessions: { request: "GET /v1/sessions", color: "#059669" },
  models: { request: "GET /v1/models", color: "#d97706" },
  health: { request: "GET /health", color: "#64748b" },
  tts: { request: "POST /v1/audio/speech", color: "#16a34a" },
  stt: { request: "POST /v1/audio/transcriptions", color: "#ea580c" },
};

export const ENDPOINT_NAMES = Object.keys(ENDPOINTS) as EndpointName[];

/** The endpoints a run sent requests to (a profile's mix uses some of them), in the report's order. */
export const endpointsOf = (r: {
  endpoints: Record<EndpointName, { count: number; skipped: number }>;
}): EndpointName[] => ENDPOINT_NAMES.filter((n) => r.endpoints[n].count > 0 || r.endpoints[n].skipped > 0);
