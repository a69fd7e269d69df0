// Small node:http helpers: body reading, JSON answers, cooperative waiting.
import type { IncomingMessage, ServerResponse } from "node:http";
import { setTimeout as sleep } from "node:timers/promises";

const MAX_BODY_BYTES = 32 * 1024 * 1024;

export type Body = { text: string; bytes: Buffer } | { error: "too-large" | "gone" };

/** Whole request body as text, or why there is none (over the limit, or the client left). */
export function readBody(req: IncomingMessage): Promise<Body> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on("end", () => {
      if (size > MAX_BODY_BYTES) return resolve({ error: "too-large" });
      const bytes = Buffer.concat(chunks);
      resolve({ text: bytes.toString("utf8"), bytes });
    });
    // First resolve wins: after "end" these are no-ops.
    req.on("error", () => resolve({ error: "gone" }));
    req.on("close", () => resolve({ error: "gone" }));
  });
}

export function sendJson(res: ServerResponse, status: number, body: unknown, extra?: Record<string, string>): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(text),
    ...extra,
  });
  res.end(text);
}

export function sendText(res: ServerResponse, status: number, contentType: string, text: string): void {
  res.writeHead(status, { "content-type": contentType, "content-length": Buffer.byteLength(text) });
  res.end(text);
}

/** Wait `ms`; with 0 still yield one macrotask so a client abort can be noticed between tokens. */
export function pause(ms: number): Promise<void> {
  return ms > 0 ? sleep(ms) : new Promise((resolve) => setImmediate(resolve));
}

/** Resolve once `res` can take more data (backpressure) or is gone. */
export function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    if (res.destroyed || res.closed) return resolve();
    const done = (): void => {
      res.off("drain", done);
      res.off("close", done);
      resolve();
    };
    res.once("drain", done);
    res.once("close", done);
  });
}

/** Resolve when the response is closed (client gone or server shutting down). */
export function closed(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    if (res.destroyed || res.closed) resolve();
    else res.once("close", () => resolve());
  });
}

export function header(req: IncomingMessage, name: string): string {
  const v = req.headers[name];
  return Array.isArray(v) ? (v[0] ?? "") : (v ?? "");
}
