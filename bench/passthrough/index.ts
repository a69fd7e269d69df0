// A trivial pass-through Worker: what any workerd proxy costs before doing anything of its own
// (no auth, no database, no Durable Object, no body parsing). Request and response bodies stream.
interface Env {
  UPSTREAM: string;
}

export default {
  fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    return fetch(env.UPSTREAM + url.pathname + url.search, {
      method: request.method,
      headers: request.headers,
      body: request.body,
    });
  },
} satisfies ExportedHandler<Env>;
