// The load generator's HTTP client: undici's request API on one keep-alive Agent (cheaper per
// request than fetch, which matters when the generator shares 2 cores with what it measures).
import { performance } from "node:perf_hooks";
import { createParser } from "eventsource-parser";
import { Agent, request } from "undici";

export interface Reply {
  status: number;
  text: string;
  latencyMs: number;
}

export interface StreamReply {
  status: number;
  latencyMs: number;
  /** ms to the first SSE event; null when none arrived. */
  ttfcMs: number | null;
  /** `data` of each SSE event, in order (200 only). */
  events: string[];
  /** The body, when the status was not 200. */
  text: string;
}

/** A reply read as bytes (audio). */
export interface BytesReply {
  status: number;
  contentType: string;
  bytes: Buffer;
  latencyMs: number;
}

export interface SendOptions {
  body?: unknown;
  headers?: Record<string, string>;
  /** Send the API key (default true). */
  auth?: boolean;
  /** Another API key than the client's for this request. */
  key?: string;
}

export class HttpClient {
  private readonly agent: Agent;

  constructor(
    readonly baseUrl: string,
    private readonly apiKey: string,
    readonly timeoutMs: number,
    /** Sent with every request (e.g. an X-Inventiv-Session); a request's own headers win. */
    private readonly always: Record<string, string> = {},
  ) {
    // One connection per in-flight request, reused across requests like a browser or SDK would.
    this.agent = new Agent({
      keepAliveTimeout: 30_000,
      connections: null,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
  }

  async send(method: "GET" | "POST", path: string, o: SendOptions = {}): Promise<Reply> {
    const started = performance.now();
    const res = await request(this.baseUrl + path, {
      method,
      dispatcher: this.agent,
      headers: this.headers(o),
      body: o.body === undefined ? undefined : JSON.stringify(o.body),
    });
    const text = await res.body.text();
    return { status: res.statusCode, text, latencyMs: performance.now() - started };
  }

  async stream(path: string, o: SendOptions): Promise<StreamReply> {
    const started = performance.now();
    const res = await request(this.baseUrl + path, {
      method: "POST",
      dispatcher: this.agent,
      headers: this.headers(o),
      body: JSON.stringify(o.body),
    });
    if (res.statusCode !== 200) {
      const text = await res.body.text();
      return { status: res.statusCode, latencyMs: performance.now() - started, ttfcMs: null, events: [], text };
    }
    const events: string[] = [];
    let ttfcMs: number | null = null;
    const parser = createParser({
      onEvent: (e) => {
        ttfcMs ??= performance.now() - started;
        events.push(e.data);
      },
    });
    const decoder = new TextDecoder();
    for await (const chunk of res.body) parser.feed(decoder.decode(chunk as Buffer, { stream: true }));
    parser.feed(decoder.decode());
    return { status: 200, latencyMs: performance.now() - started, ttfcMs, events, text: "" };
  }

  /** POSTs a JSON body, or raw bytes of `contentType` (a multipart form), and reads the answer as bytes. */
  async post(path: string, o: SendOptions & { raw?: Uint8Array; contentType?: string }): Promise<BytesReply> {
    const started = performance.now();
    const headers = this.headers(o);
    if (o.contentType) headers["content-type"] = o.contentType;
    const res = await request(this.baseUrl + path, {
      method: "POST",
      dispatcher: this.agent,
      headers,
      body: o.raw ?? JSON.stringify(o.body),
    });
    const bytes = Buffer.from(await res.body.arrayBuffer());
    const type = res.headers["content-type"];
    return {
      status: res.statusCode,
      contentType: Array.isArray(type) ? (type[0] ?? "") : (type ?? ""),
      bytes,
      latencyMs: performance.now() - started,
    };
  }

  /** Drops every connection, in-flight requests included (the run is over). */
  destroy(): Promise<void> {
    return this.agent.destroy();
  }

  private headers(o: SendOptions): Record<string, string> {
    const h: Record<string, string> = { ...this.always, ...o.headers };
    if (o.body !== undefined) h["content-type"] = "application/json";
    if (o.auth !== false) h.authorization = `Bearer ${o.key ?? this.apiKey}`;
    return h;
  }
}

/** "503 no_worker_available" from an OpenAI-shaped error body, else "503 <first words of the body>". */
export function statusReason(status: number, text: string): string {
  try {
    const parsed: unknown = JSON.parse(text);
    if (isRecord(parsed) && isRecord(parsed.error)) {
      const code = parsed.error.code ?? parsed.error.type;
      if (typeof code === "string" && code) return `${status} ${code}`;
    }
    if (isRecord(parsed) && typeof parsed.detail === "string") return `${status} ${parsed.detail}`;
  } catch {
    // not JSON: fall through to the raw text
  }
  const snippet = text.replace(/\s+/g, " ").trim().slice(0, 60);
  return snippet ? `${status} ${snippet}` : `HTTP ${status}`;
}

/** "network: ECONNREFUSED", "timeout: …": short enough to group errors by. */
export function networkReason(err: unknown): string {
  if (err instanceof Error) {
    const code = "code" in err && typeof err.code === "string" ? err.code : "";
    if (code === "UND_ERR_HEADERS_TIMEOUT" || code === "UND_ERR_BODY_TIMEOUT") return `timeout: ${code}`;
    const cause =
      err.cause instanceof Error && "code" in err.cause && typeof err.cause.code === "string" ? err.cause.code : "";
    return `network: ${code || cause || err.message.slice(0, 60)}`;
  }
  return `network: ${String(err).slice(0, 60)}`;
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
