// The endpoints the scenarios measure, each reported on its own row and chart.
export type EndpointName = "chat" | "chat_stream" | "sessions" | "models" | "health";

export interface EndpointInfo {
  /** What the report shows next to the name. */
  request: string;
  /** Chart colour (also used by the HTML report's legend). */
  color: string;
}

export const ENDPOINTS: Record<EndpointName, EndpointInfo> = {
  chat: { request: "POST /v1/chat/completions", color: "#2563eb" },
  chat_stream: { request: "POST /v1/chat/completions (stream)", color: "#7c3aed" },
  sessions: { request: "GET /v1/sessions", color: "#059669" },
  models: { request: "GET /v1/models", color: "#d97706" },
  health: { request: "GET /health", color: "#64748b" },
};

export const ENDPOINT_NAMES = Object.keys(ENDPOINTS) as EndpointName[];
