// The chat mix's tasks, as in the seed's Locust user — chat 5, list sessions 3, list models 2,
// health 1 — and the Responses API beside chat (2). Every response is validated, then recorded as
// one sample. The voice mix is in voice-tasks.ts, the mixes in mixes.ts.
import { performance } from "node:perf_hooks";
import type { LoadConfig } from "./config";
import type { EndpointName } from "./endpoints";
import { type HttpClient, networkReason, statusReason } from "./http";
import type { LimitTracker } from "./limits";
import type { Sample } from "./metrics";
import {
  validateChat,
  validateChatStream,
  validateHealth,
  validateModels,
  validateResponse,
  validateResponseStream,
  validateSessions,
} from "./validate";

export interface TaskContext {
  client: HttpClient;
  config: LoadConfig;
  /** Unique per run, so session keys never collide with an earlier run's. */
  runId: string;
  /** ms since the run started. */
  elapsedMs: () => number;
  record: (s: Sample) => void;
  random: () => number;
  /** The limits scenario: chats go out with this key, and the tracker sees each one's status. */
  limited?: { key: string; tracker: LimitTracker };
}

interface Message {
  role: "user" | "assistant";
  content: string;
}

/** Per virtual user: the conversation it carries on when a chat uses a session. */
export class VirtualUser {
  history: Message[] = [];
  /** The user's last stored response, which a Responses follow-up continues. */
  lastResponseId: string | null = null;
  private conversations = 0;
  sessionKey: string;

  constructor(
    readonly id: number,
    private readonly runId: string,
  ) {
    this.sessionKey = this.nextKey();
  }

  /** After MAX_TURNS a user starts a new conversation (new session, empty history). */
  addTurn(user: Message, assistant: Message): void {
    this.history.push(user, assistant);
    if (this.history.length >= MAX_TURNS * 2) {
      this.history = [];
      this.sessionKey = this.nextKey();
    }
  }

  private nextKey(): string {
    this.conversations += 1;
    return `load-${this.runId}-vu${this.id}-c${this.conversations}`;
  }
}

const MAX_TURNS = 6;

const PROMPTS = [
  "Summarise the plot of Hamlet in two sentences.",
  "What is the capital of Australia?",
  "Give me three names for a grey cat.",
  "Explain what a load balancer does, briefly.",
  "Translate 'good morning' into French and Spanish.",
  "Write a haiku about the sea.",
];

export interface Task {
  name: string;
  weight: number;
  run(vu: VirtualUser, ctx: TaskContext): Promise<void>;
}

/** Runs one request, turning a thrown network error or timeout into an error sample. */
export async function measured(
  ctx: TaskContext,
  endpoint: EndpointName,
  work: () => Promise<Omit<Sample, "endpoint" | "endedAtMs">>,
): Promise<void> {
  const started = performance.now();
  let sample: Omit<Sample, "endpoint" | "endedAtMs">;
  try {
    sample = await work();
  } catch (err) {
    sample = { latencyMs: performance.now() - started, error: networkReason(err) };
  }
  ctx.record({ endpoint, endedAtMs: ctx.elapsedMs(), ...sample });
}

async function chat(vu: VirtualUser, ctx: TaskContext): Promise<void> {
  const { config, client, random } = ctx;
  const stream = random() < config.streamShare;
  const withSession = random() < config.sessionShare;
  const user: Message = { role: "user", content: PROMPTS[Math.floor(random() * PROMPTS.length)] ?? "Hello" };
  const body = {
    model: config.model,
    messages: withSession ? [...vu.history, user] : [user],
    max_tokens: config.maxTokens,
    ...(stream ? { stream: true, stream_options: { include_usage: true } } : {}),
  };
  const headers: Record<string, string> = withSession ? { "x-inventiv-session": vu.sessionKey } : {};
  // A holder, not a `let`: assignments inside the callback are invisible to TS narrowing.
  const out: { answer: string | null } = { answer: null };
  const key = ctx.limited?.key;
  const sentAtMs = ctx.elapsedMs();
  // A 429 of the limited key is what the scenario expects: counted apart, neither served nor an error.
  const refused = (status: number, latencyMs: number) => {
    ctx.limited?.tracker.note(sentAtMs, status);
    return ctx.limited && status === 429 ? { latencyMs, skipped: "429 rate_limit_exceeded (the key's rpm)" } : null;
  };
  await measured(ctx, stream ? "chat_stream" : "chat", async () => {
    if (stream) {
      const r = await client.stream("/v1/chat/completions", { body, headers, key });
      const limit = refused(r.status, r.latencyMs);
      if (limit) return limit;
      if (r.status !== 200) return { latencyMs: r.latencyMs, error: statusReason(r.status, r.text) };
      const check = validateChatStream(r.events);
      if (check.error === null) out.answer = check.content;
      return {
        latencyMs: r.latencyMs,
        ttfcMs: r.ttfcMs ?? undefined,
        ...(check.error === null ? {} : { error: check.error }),
      };
    }
    const r = await client.send("POST", "/v1/chat/completions", { body, headers, key });
    const limit = refused(r.status, r.latencyMs);
    if (limit) return limit;
    if (r.status !== 200) return { latencyMs: r.latencyMs, error: statusReason(r.status, r.text) };
    const check = validateChat(r.text);
    if (check.error === null) out.answer = check.content;
    return { latencyMs: r.latencyMs, ...(check.error === null ? {} : { error: check.error }) };
  });
  if (withSession && out.answer !== null) vu.addTurn(user, { role: "assistant", content: out.answer });
}

/**
 * POST /v1/responses: 40 % streamed (typed `response.*` events), and half the time a follow-up of
 * the user's previous response (`previous_response_id`, served by the host that holds it).
 */
async function respond(vu: VirtualUser, ctx: TaskContext): Promise<void> {
  const { config, client, random } = ctx;
  const stream = random() < config.streamShare;
  const previous = vu.lastResponseId !== null && random() < 0.5 ? vu.lastResponseId : null;
  const body = {
    model: config.model,
    input: PROMPTS[Math.floor(random() * PROMPTS.length)] ?? "Hello",
    max_output_tokens: config.maxTokens,
    ...(previous ? { previous_response_id: previous } : {}),
    ...(stream ? { stream: true } : {}),
  };
  await measured(ctx, stream ? "responses_stream" : "responses", async () => {
    if (stream) {
      const r = await client.stream("/v1/responses", { body });
      if (r.status !== 200) return { latencyMs: r.latencyMs, error: statusReason(r.status, r.text) };
      const check = validateResponseStream(r.events);
      if (check.error === null) vu.lastResponseId = check.id;
      return { latencyMs: r.latencyMs, ttfcMs: r.ttfcMs ?? undefined, ...(check.error ? { error: check.error } : {}) };
    }
    const r = await client.send("POST", "/v1/responses", { body });
    if (r.status !== 200) return { latencyMs: r.latencyMs, error: statusReason(r.status, r.text) };
    const check = validateResponse(r.text);
    if (check.error === null) vu.lastResponseId = check.id;
    return { latencyMs: r.latencyMs, ...(check.error ? { error: check.error } : {}) };
  });
}

async function listSessions(_vu: VirtualUser, ctx: TaskContext): Promise<void> {
  await measured(ctx, "sessions", async () => {
    const r = await ctx.client.send("GET", "/v1/sessions");
    // Until the sessions endpoint is deployed the router answers 404 route_not_found.
    if (r.status === 404 && ctx.config.sessionsOptional)
      return { latencyMs: r.latencyMs, skipped: `${statusReason(404, r.text)} (LOAD_SESSIONS_OPTIONAL=1)` };
    if (r.status !== 200) return { latencyMs: r.latencyMs, error: statusReason(r.status, r.text) };
    const error = validateSessions(r.text);
    return { latencyMs: r.latencyMs, ...(error === null ? {} : { error }) };
  });
}

async function listModels(_vu: VirtualUser, ctx: TaskContext): Promise<void> {
  await measured(ctx, "models", async () => {
    const r = await ctx.client.send("GET", "/v1/models");
    if (r.status !== 200) return { latencyMs: r.latencyMs, error: statusReason(r.status, r.text) };
    const error = validateModels(r.text, ctx.config.model);
    return { latencyMs: r.latencyMs, ...(error === null ? {} : { error }) };
  });
}

async function health(_vu: VirtualUser, ctx: TaskContext): Promise<void> {
  await measured(ctx, "health", async () => {
    const r = await ctx.client.send("GET", "/health", { auth: false });
    if (r.status !== 200) return { latencyMs: r.latencyMs, error: statusReason(r.status, r.text) };
    const error = validateHealth(r.text);
    return { latencyMs: r.latencyMs, ...(error === null ? {} : { error }) };
  });
}

export const CHAT_TASKS: readonly Task[] = [
  { name: "send_chat_message", weight: 5, run: chat },
  { name: "create_response", weight: 2, run: respond },
  { name: "list_sessions", weight: 3, run: listSessions },
  { name: "list_models", weight: 2, run: listModels },
  { name: "health_check", weight: 1, run: health },
];
