// A trivial pass-through Worker: what any workerd proxy costs before doing anything of its own
// (no auth, no database, no Durable Object, no body parsing). Request and response bodies stream.
// With `x-bench-relay: js` it relays the answer's body through JS instead, one read and one write
// per chunk, as every relay that must see the bytes (to meter them) does: the floor for the router's streams.
interface Env {
  UPSTREAM: string;
}

const RELAY_HEADER = "x-bench-relay";

/** The body, read and written chunk by chunk through JS into a native stream (no parsing). */
function jsRelay(body: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  const { readable, writable } = new IdentityTransformStream();
  const writer = writable.getWriter();
  void (async () => {
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        await writer.write(value);
      }
      await writer.close();
    } catch (err) {
      await writer.abort(err).catch(() => {});
    }
  })();
  return readable;
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    const js = request.headers.get(RELAY_HEADER) === "js";
    const headers = new Headers(request.headers);
    headers.delete(RELAY_HEADER);
    const answer = await fetch(env.UPSTREAM + url.pathname + url.search, {
      method: request.method,
      headers,
      body: request.body,
    });
    if (!js || !answer.body) return answer;
    return new Response(jsRelay(answer.body), { status: answer.status, headers: answer.headers });
  },
} satisfies ExportedHandler<Env>;
