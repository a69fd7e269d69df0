// The attempt flow, straight line: lease a worker, call it, and either relay its answer or,
// if it failed before sending a byte, release it as failed and try another. An error answer that
// is not retried goes back to the client in OpenAI's shape (upstream-error.ts).

import { configOf, type RouterConfig } from "../config";
import type { Lease, LeaseOutcome, ServedSample } from "../contracts";
import type { Env } from "../env";
import { RouterError } from "../errors";
import { releaseLater } from "../fleet/owed-releases";
import { dropSpares } from "../fleet/spare-leases";
import { defaultTokenPolicy, estimateRequestCost } from "../routing/token-load";
import { eventCharge, type UsageEvent } from "../usage/event";
import { type MeteredRequest, usageEventFor } from "../usage/from-request";
import { recordUsage } from "../usage/record";
import { type AnswerKind, observerFor } from "./answers";
import { callHost } from "./attempt";
import { wholeJsonEnd } from "./json-observer";
import { leaseSource } from "./lease-source";
import { type RelayEnd, relay } from "./relay";
import type { StreamedBody } from "./streamed-body";
import { readUpstreamError } from "./upstream-error";

/** The request to send; `ledgerId` keys its usage row (the client's X-Request-Id may repeat). */
export interface ForwardPlan extends MeteredRequest {
  /** The host's request body: JSON serialised once for every attempt, or an upload streamed through. */
  payload: string | StreamedBody;
  stream: boolean;
  /** What the host's 2xx answer may be (default: SSE when streaming, else JSON). */
  answer?: AnswerKind;
  clientWantsUsage: boolean;
  /** Default POST; GET and DELETE send no body. */
  method?: "GET" | "POST" | "DELETE";
  /** Only this host may serve it: it holds the request's state (a stored response). */
  holder?: { instanceId: string; what: string };
  /** False for lookups that generate nothing (no ledger row). Default true. */
  metered?: boolean;
  /** The client's output limit, when it set one: the upper bound routing counts the request's cost with. */
  maxTokens?: number;
}

/** What the access log and metering learn once the response has ended. */
export interface Settled {
  instanceId: string | null;
  status: number;
  attempts: number;
  outcome: RelayEnd["outcome"] | "rejected";
  inputTokens: number;
  outputTokens: number;
  /** What the ledger charges it (tokens, audio seconds or characters at their prices). */
  cost: string;
}

const MAX_ATTEMPTS = 3;
const RETRYABLE_STATUS = new Set([502, 503]);

/**
 * How long one attempt may wait for the host's first bytes. A stream's headers and first token come
 * early; a non-streamed answer's headers come only once the whole generation is done, so it gets
 * the generation's limit instead (the OpenAI SDKs' own default is 10 minutes).
 */
function attemptTimeoutMs(config: RouterConfig, stream: boolean): number {
  return stream ? config.UPSTREAM_TIMEOUT_MS : config.UPSTREAM_GENERATION_TIMEOUT_MS;
}

const emptyBody = (): ReadableStream<Uint8Array> => new ReadableStream({ start: (controller) => controller.close() });

const answerOf = (plan: ForwardPlan): AnswerKind => plan.answer ?? (plan.stream ? "sse" : "json");

export async function forward(
  env: Env,
  ctx: Pick<ExecutionContext, "waitUntil">,
  plan: ForwardPlan,
): Promise<{ response: Response; settled: Promise<Settled> }> {
  const started = Date.now();
  const config = configOf(env);
  const timeoutMs = attemptTimeoutMs(config, plan.stream);
  // Between two chunks of a body that has started, a host is allowed the short timeout.
  const idleMs = attemptTimeoutMs(config, true);
  // A hung worker may use up one attempt's timeout and still leave time to try another. The budget
  // setting is for streams: a non-streamed answer always gets twice its generation timeout.
  const budgetMs = plan.stream ? config.UPSTREAM_BUDGET_MS : 2 * timeoutMs;
  const fleet = { organizationId: plan.caller.organizationId, modelUuid: plan.resolved.model.id };
  const cost = estimateRequestCost(plan.promptChars, plan.maxTokens, defaultTokenPolicy);
  const acquire = leaseSource(env, (work) => ctx.waitUntil(work), {
    modelUuid: plan.resolved.model.id,
    caller: plan.caller,
    sessionKey: plan.sessionKey,
    only: plan.holder?.instanceId,
    cost,
  });
  const record = (event: UsageEvent) => (plan.metered === false ? Promise.resolve() : recordUsage(env, event));
  const kind = answerOf(plan);
  const tried: string[] = [];
  let lastFailure: RouterError | null = null;

  const usage = (
    instanceId: string | null,
    httpStatus: number,
    attempts: number,
    relay: RelayEnd,
    firstChunkAt: number | null = null,
  ): UsageEvent =>
    usageEventFor(plan, {
      instanceId,
      httpStatus,
      attempts,
      startedAt: started,
      endedAt: Date.now(),
      firstChunkAt,
      relay,
    });

  /**
   * The lease goes back, carried by this isolate's next acquire on the fleet or sent within
   * FLEET_RELEASE_WINDOW_MS; a host that failed also loses the spare leases this isolate holds on it.
   */
  const giveBack = (lease: Lease, outcome: LeaseOutcome, served?: ServedSample): Promise<unknown> => {
    const released = releaseLater(env, fleet, lease.replica ?? 0, { leaseId: lease.leaseId, outcome, served });
    return outcome === "host_failed" ? Promise.all([released, dropSpares(env, fleet, lease.instanceId)]) : released;
  };

  /**
   * An answered request has ended: return its lease and meter it (independently: one failing never costs the
   * other), both held by waitUntil until durable. What it cost is known at once: the access log and the
   * limits settle on that, without waiting for the outbox or the fleet.
   */
  const settle = (
    lease: Lease,
    attempt: number,
    status: number,
    end: RelayEnd,
    health: LeaseOutcome,
    firstChunkAt: number | null = null,
  ): Settled => {
    const event = usage(lease.instanceId, status, attempt, end, firstChunkAt);
    // A stream that ran to its end shows the host's decode rate, which routing learns (routing/capacity.ts).
    const served =
      firstChunkAt !== null && end.outcome === "completed"
        ? { outputTokens: event.outputTokens, decodeMs: Date.now() - firstChunkAt }
        : undefined;
    ctx.waitUntil(Promise.all([giveBack(lease, health, served), record(event)]));
    return {
      instanceId: lease.instanceId,
      status,
      attempts: attempt,
      outcome: end.outcome,
      inputTokens: event.inputTokens,
      outputTokens: event.outputTokens,
      cost: eventCharge(event),
    };
  };

  for (let attempt = 1; attempt <= MAX_ATTEMPTS && Date.now() - started < budgetMs; attempt++) {
    const pick = await acquire(tried, attempt);
    if (!pick.ok && pick.held && plan.holder) {
      lastFailure = heldFailure(plan.holder, pick.held, pick.reason);
      break;
    }
    if (!pick.ok) {
      lastFailure ??= new RouterError(503, {
        message: `No GPU worker available for \`${plan.resolved.model.hfId}\`: ${pick.reason}.`,
        code: "no_worker_available",
        headers: { "retry-after": "2" },
      });
      break;
    }
    const { lease } = pick;
    const result = await callHost(
      lease,
      { ...plan, answer: kind },
      Math.min(timeoutMs, budgetMs - (Date.now() - started)),
    );
    // An upload that failed on the client's side (too large, too slow, cut) is the answer, whatever
    // the host made of the part it got, and not the host's fault.
    if (typeof plan.payload !== "string" && result.kind === "failed") await plan.payload.settled(1_000);
    const clientFault = typeof plan.payload === "string" ? null : plan.payload.failure();
    if (clientFault || result.kind === "failed" || RETRYABLE_STATUS.has(result.response.status)) {
      if (result.kind === "answered") await result.response.body?.cancel();
      // The next attempt's acquire carries it, so the breaker knows before it chooses again.
      ctx.waitUntil(giveBack(lease, clientFault ? "ok" : "host_failed"));
      tried.push(lease.instanceId);
      lastFailure =
        clientFault ??
        (result.kind === "failed"
          ? new RouterError(result.status, {
              message:
                result.code === "upstream_bad_answer"
                  ? `GPU worker ${lease.instanceId} ${result.reason}.`
                  : `GPU worker ${lease.instanceId} failed: ${result.reason}.`,
              code: result.code,
            })
          : new RouterError(502, {
              message: `GPU worker ${lease.instanceId} answered ${result.response.status}.`,
              code: "upstream_unavailable",
            }));
      // An upload the failed attempt took part of cannot be sent again: this failure is the answer.
      if (clientFault || (typeof plan.payload !== "string" && !plan.payload.replayable())) break;
      continue;
    }

    const upstream = result.response;
    const headers = new Headers({
      "content-type": upstream.headers.get("content-type") ?? "application/json",
      "x-request-id": plan.requestId,
      "x-inventiv-instance": lease.instanceId,
    });
    if (!upstream.ok) {
      // Not retried (4xx: the request's fault; other 5xx: may not be safe to repeat), but a 5xx
      // still counts against the host's breaker, so a host failing fast does not attract traffic.
      const failure = await readUpstreamError(upstream, idleMs);
      const end: RelayEnd = { outcome: "completed", usage: null, outputChars: 0, error: failure.message };
      const settled = Promise.resolve(
        settle(lease, attempt, upstream.status, end, upstream.status >= 500 || failure.broken ? "host_failed" : "ok"),
      );
      headers.set("content-type", "application/json");
      return { response: new Response(failure.text, { status: upstream.status, headers }), settled };
    }

    if (result.whole) {
      const end = wholeJsonEnd(result.whole);
      const settled = Promise.resolve(
        settle(lease, attempt, upstream.status, end, end.workerFault ? "host_failed" : "ok"),
      );
      return { response: new Response(result.whole, { status: upstream.status, headers }), settled };
    }
    const observer = observerFor(kind, upstream.headers.get("content-type"), plan.clientWantsUsage);
    const { body, ended } = relay(result.primed ?? upstream.body ?? emptyBody(), observer, idleMs);
    const settled = ended.then((end) =>
      settle(
        lease,
        attempt,
        upstream.status,
        end,
        end.workerFault ? "host_failed" : "ok",
        // Time to first token (or first audio) is a stream's measure; a JSON answer's first bytes come with its last.
        plan.stream || kind === "audio" ? (result.firstChunkAt ?? null) : null,
      ),
    );
    if (plan.stream) headers.set("cache-control", "no-cache");
    return { response: new Response(body, { status: upstream.status, headers }), settled };
  }

  const failure =
    lastFailure ??
    new RouterError(503, {
      message: "No GPU worker could take the request in time.",
      code: "no_worker_available",
      headers: {
        "retry-after": "2",
      },
    });
  const failedEnd: RelayEnd = {
    outcome: "failed",
    usage: { inputTokens: 0, outputTokens: 0 },
    outputChars: 0,
    error: failure.message,
  };
  ctx.waitUntil(record(usage(tried.at(-1) ?? null, failure.status, tried.length, failedEnd)));
  const settled = Promise.resolve<Settled>({
    instanceId: null,
    status: failure.status,
    attempts: tried.length,
    outcome: "rejected",
    inputTokens: 0,
    outputTokens: 0,
    cost: "0",
  });
  return { response: failure.toResponse({ "x-request-id": plan.requestId }), settled };
}

/**
 * The host holding the request's state cannot take it. Gone for good (retired, or no longer in the
 * fleet): 409, the state is lost and retrying cannot help. Unavailable for now (stale heartbeat,
 * cooling down after failures, not ready): 503 with Retry-After, it may come back with the state.
 */
function heldFailure(holder: { instanceId: string; what: string }, held: "gone" | "unavailable", reason: string) {
  return held === "gone"
    ? new RouterError(409, {
        message: `The GPU host ${holder.instanceId} that holds this ${holder.what} is gone (${reason}); its state is lost.`,
        code: `${holder.what}_host_gone`,
      })
    : new RouterError(503, {
        message: `The GPU host ${holder.instanceId} that holds this ${holder.what} cannot take requests now (${reason}).`,
        code: `${holder.what}_host_unavailable`,
        headers: { "retry-after": "5" },
      });
}
