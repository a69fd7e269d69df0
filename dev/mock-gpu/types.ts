// Public types of the simulated GPU host (a vLLM-compatible mock server).

import type { HostStatus } from "../../schema";

export type WorkerStatus = HostStatus;

export interface MockGpuOptions {
  /** 0 = ephemeral port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Hugging Face id served, e.g. "Qwen/Qwen2.5-0.5B-Instruct". */
  model: string;
  /** Delay before the first token (default 0). */
  ttftMs?: number;
  /** Delay between tokens (default 0); applies to JSON answers too, like a real engine. */
  tokenDelayMs?: number;
  /** Output cap when the request sets no max_tokens (default: only max_model_len limits). */
  maxTokensDefault?: number;
  /** As vLLM's `--max-num-seqs`: requests generated at once; more wait in the queue (default: no limit). */
  maxNumSeqs?: number;
  /** Context window reported in /v1/models and enforced like vLLM (default 32768). */
  maxModelLen?: number;
  /** URL announced to the router as base_url (default: the listening URL). */
  publicUrl?: string;
  /** Heartbeat agent: runs only when router, instanceId and token are all given, and noAgent is not set. */
  router?: string;
  /** A plain vLLM server: no agent even if router, instanceId and token are given (the router probes it). */
  noAgent?: boolean;
  /** As vLLM's `--api-key`: every /v1/* request needs `Authorization: Bearer <key>`, else 401. */
  apiKey?: string;
  /** Model loading: the port is bound at once but no request is answered for this long (default 0). */
  loadMs?: number;
  /** Data-parallel engines, each its own `engine` label series in /metrics (default 2). */
  engines?: number;
  instanceId?: string;
  /** Per-instance worker token, sent as `Authorization: Bearer <token>`. */
  token?: string;
  /** Default 4000. */
  heartbeatMs?: number;
  /** Reported status, default "ready". */
  workerStatus?: WorkerStatus;
  /** When set, reported instead of the live in-flight count (simulates a deep queue). */
  reportedQueueDepth?: number;
}

/**
 * Injected faults. Precedence for one inference request (first match wins):
 *   hang → engineDead → redirectTo → htmlPage → failNext → status →
 *   (generation) cutAfterTokens / streamErrorAfterTokens / stallAfterTokens.
 * `refuse` acts earlier, at the TCP connection. `omitUsage` only changes successful answers.
 * Inference requests = POST /v1/chat/completions, /v1/completions, /v1/embeddings.
 */
export interface Faults {
  /** Answer every inference request with this HTTP status and a vLLM error body. */
  status?: number;
  /** Answer the next `count` inference requests with `status`, then behave normally. */
  failNext?: { count: number; status: number };
  /** Read the request, never answer (until the client leaves or the server closes). */
  hang?: boolean;
  /**
   * Destroy the socket after N tokens. Streaming: after N content chunks were written
   * (mid-stream cut). Non-streaming: after N tokens were generated, before any response byte.
   * Transcriptions alike (N transcript tokens); speech: after N audio writes (8 KiB each).
   */
  cutAfterTokens?: number;
  /**
   * Non-streaming generation only: send the headers (the whole body's Content-Length) and half the
   * body, then destroy the socket, as a proxy in front of a host dying mid-body would.
   */
  cutJsonBody?: boolean;
  /** Streaming only: after N content chunks send `data: {"error":{…}}` and end without [DONE]. */
  streamErrorAfterTokens?: number;
  /** Streaming only: after N content chunks send nothing more, the connection open, until the client leaves. */
  stallAfterTokens?: number;
  /** Destroy incoming TCP connections at once. */
  refuse?: boolean;
  /** JSON answers without `usage`; streams without any usage even if include_usage was asked. */
  omitUsage?: boolean;
  /** The engine died: /health answers 503 and inference 500, as vLLM's EngineDeadError (the port stays open). */
  engineDead?: boolean;
  /**
   * Not vLLM itself but what sits in front of hosts: a proxy or gateway. Answer every inference
   * request with `307 Temporary Redirect` to this URL (a client that follows re-POSTs there).
   */
  redirectTo?: string;
  /** Answer every inference request `200 text/html` with a web page (a captive portal, a login page). */
  htmlPage?: boolean;
  /** Answer `stream: true` requests with the plain JSON completion (a server that cannot stream). */
  ignoreStream?: boolean;
  /** Generation answers report these counts instead of the true ones (a host whose counts are wrong). */
  reportedUsage?: { prompt_tokens: number; completion_tokens: number };
  /** The message of the error answers `status` / `failNext` inject. */
  errorMessage?: string;
}

/** Counters over inference requests only (not /health, /metrics, /v1/models, /_mock/*). */
export interface MockStats {
  requests: number;
  /** Requests currently being processed (including hung ones). */
  inflight: number;
  /** In-flight requests still in their time-to-first-token wait (no token sent yet). */
  prefilling: number;
  /** Responses fully written (any status). */
  completed: number;
  /** The client closed before the response ended; generation stopped at that moment. */
  cancelled: number;
  /** Connections destroyed on purpose by cutAfterTokens. */
  cut: number;
  /** Responses with status >= 400, plus in-stream errors. */
  errors: number;
  promptTokens: number;
  tokensGenerated: number;
  /** x-request-id header of the most recent requests, oldest first ("" when absent); capped. */
  lastRequestIds: string[];
  /** `model` field of the most recent requests, oldest first ("" when absent); capped. */
  lastModels: string[];
}

export interface MockGpu {
  url: string;
  port: number;
  /** Replace the current faults (not a merge). */
  setFaults(f: Faults): void;
  stats(): MockStats;
  setWorkerStatus(s: WorkerStatus): void;
  setReportedQueueDepth(n: number | undefined): void;
  /** Resolves once the loading phase (`loadMs`) is over and requests are answered. */
  loaded: Promise<void>;
  /** Register (if not yet registered) or heartbeat now; resolves when the router answered or failed. */
  heartbeatNow(): Promise<void>;
  /** Stops heartbeats and the server, destroying open sockets. */
  close(): Promise<void>;
}
