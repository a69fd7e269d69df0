// What a hostile or broken client sends at the edge: bodies too deep, NUL bytes, malformed chunked
// framing, oversize or slow uploads, uploads without a key. Each must get a 4xx in OpenAI's shape,
// and none may be read into memory before the caller is known.
import { request } from "node:http";
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chat, type Stack, startStack } from "../support/stack";

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ vars: { MAX_BODY_BYTES: String(4 * 1024 * 1024), BODY_READ_TIMEOUT_MS: "800" } });
});
afterAll(() => stack?.dispose());

const errorOf = async (res: Response) => ((await res.json()) as { error: Record<string, unknown> }).error;

/** `[[[…"x"…]]]`, `depth` arrays deep, as JSON text. */
const nested = (depth: number) => `${"[".repeat(depth)}"x"${"]".repeat(depth)}`;

describe("bodies nested too deep", () => {
  it("a chat message's content 10,000 arrays deep is a 400 naming the field", async () => {
    const body = `{"model":${JSON.stringify(stack.model)},"messages":[{"role":"user","content":${nested(10_000)}}]}`;
    const res = await fetch(`${stack.baseURL}/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${stack.tenant.adminKey}`, "content-type": "application/json" },
      body,
    });
    expect(res.status).toBe(400);
    expect(await errorOf(res)).toEqual({
      message: "`messages[0].content` is nested too deeply.",
      type: "invalid_request_error",
      param: "messages[0].content",
      code: "invalid_request",
    });
  });

  it("a completion's prompt 10,000 arrays deep is a 400 naming the field", async () => {
    const body = `{"model":${JSON.stringify(stack.model)},"prompt":${nested(10_000)}}`;
    const res = await fetch(`${stack.baseURL}/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${stack.tenant.adminKey}`, "content-type": "application/json" },
      body,
    });
    expect(res.status).toBe(400);
    expect((await errorOf(res)).param).toBe("prompt");
  });

  it("ordinary content parts still pass", async () => {
    const content = [{ type: "text", text: "Hello" }];
    const res = await stack.post("/v1/chat/completions", chat(stack, "", { messages: [{ role: "user", content }] }));
    expect(res.status).toBe(200);
  });
});

describe("NUL bytes never reach Postgres", () => {
  it("a session id with a NUL is a 400", async () => {
    const res = await stack.call("GET", "/v1/sessions/a%00b");
    expect(res.status).toBe(400);
    expect((await errorOf(res)).param).toBe("id");
  });

  it("a session cursor with a NUL is a 400", async () => {
    const res = await stack.call("GET", "/v1/sessions?after=%00");
    expect(res.status).toBe(400);
    expect((await errorOf(res)).param).toBe("after");
  });

  it("a deployment's base_url with a NUL is a 400", async () => {
    const res = await stack.post("/deployments", { model: stack.model, base_url: "http://a\u0000b" });
    expect(res.status).toBe(400);
    expect((await errorOf(res)).param).toBe("base_url");
  });
});

interface RawAnswer {
  status: number;
  body: string;
}

/** Writes `head` then each chunk (with `gapMs` between) on a raw socket; resolves with the answer. */
function rawRequest(head: string, chunks: string[] = [], gapMs = 0): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const socket = connect(stack.router.port, "127.0.0.1");
    let text = "";
    let timer: ReturnType<typeof setTimeout> | undefined;
    socket.setEncoding("utf8");
    socket.on("data", (d: string) => {
      text += d;
      const [headPart, ...rest] = text.split("\r\n\r\n");
      const length = Number(/content-length: (\d+)/i.exec(headPart ?? "")?.[1] ?? Number.NaN);
      if (rest.length > 0 && Buffer.byteLength(rest.join("\r\n\r\n")) >= length) {
        clearTimeout(timer);
        socket.destroy();
        resolve({ status: Number(text.slice(9, 12)), body: rest.join("\r\n\r\n") });
      }
    });
    socket.on("error", reject);
    socket.on("close", () => reject(new Error(`closed without a whole answer: ${JSON.stringify(text)}`)));
    socket.write(head);
    const next = (i: number) => {
      if (i >= chunks.length || socket.destroyed) return;
      socket.write(chunks[i] ?? "");
      timer = setTimeout(() => next(i + 1), gapMs);
    };
    next(0);
  });
}

const chatHead = (key: string, extra: string) =>
  `POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${key}\r\n` +
  `Content-Type: application/json\r\n${extra}\r\n`;

describe("malformed chunked framing", () => {
  it("a chunk size that is not hex is a 400, not a 500", async () => {
    const answer = await rawRequest(chatHead(stack.tenant.adminKey, "Transfer-Encoding: chunked\r\n"), [
      "zz\r\nhello\r\n0\r\n\r\n",
    ]);
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.body).error.code).toBe("invalid_body");
  });
});

/** Sends `bytes` with a Content-Length through node:http, as an SDK would; resolves with the answer. */
function upload(key: string, bytes: number): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${stack.router.url}/v1/chat/completions`,
      {
        method: "POST",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json", "content-length": bytes },
      },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (d: string) => (body += d));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on("error", reject);
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    let sent = 0;
    const pump = () => {
      while (sent < bytes) {
        const n = Math.min(chunk.length, bytes - sent);
        sent += n;
        if (!req.write(n === chunk.length ? chunk : chunk.subarray(0, n))) return void req.once("drain", pump);
      }
      req.end();
    };
    pump();
  });
}

describe("oversize uploads with a Content-Length", () => {
  it.each([4 * 1024 * 1024 + 1, 8 * 1024 * 1024])("%i bytes get the 413, not a broken pipe", async (bytes) => {
    const answer = await upload(stack.tenant.adminKey, bytes);
    expect(answer.status).toBe(413);
    expect(JSON.parse(answer.body).error.code).toBe("request_too_large");
  });

  it("a wrong key with a 3 MiB body gets the 401, not a broken pipe", async () => {
    const answer = await upload("sk-wrong", 3 * 1024 * 1024);
    expect(answer.status).toBe(401);
    expect(JSON.parse(answer.body).error.code).toBe("invalid_api_key");
  });
});

describe("bodies are read only for a known caller, and only for so long", () => {
  it("an upload without a valid key is refused before its body has been sent", async () => {
    // The body never ends: only an answer from the headers alone can arrive.
    const answer = await rawRequest(chatHead("sk-wrong", "Transfer-Encoding: chunked\r\n"), [
      "400\r\n",
      "x".repeat(1024),
    ]);
    expect(answer.status).toBe(401);
  });

  it("a body trickling in slower than BODY_READ_TIMEOUT_MS allows is a 408", async () => {
    const slices = Array.from({ length: 20 }, () => "1\r\n \r\n");
    const answer = await rawRequest(chatHead(stack.tenant.adminKey, "Transfer-Encoding: chunked\r\n"), slices, 100);
    expect(answer.status).toBe(408);
    expect(JSON.parse(answer.body).error).toEqual({
      message: "The request body did not arrive within 800 ms.",
      type: "invalid_request_error",
      param: null,
      code: "request_timeout",
    });
  });

  it("so is a body with a Content-Length (read in one native call) that trickles in", async () => {
    const slices = Array.from({ length: 20 }, () => " ");
    const answer = await rawRequest(chatHead(stack.tenant.adminKey, "Content-Length: 20\r\n"), slices, 100);
    expect(answer.status).toBe(408);
    expect(JSON.parse(answer.body).error.code).toBe("request_timeout");
  });
});
