// The fleet's routes, described for GET /openapi.json: the admin API's deployments and instances
// (routes/admin.ts) and the host agents' reports (routes/host-agent.ts). Their handlers validate
// by hand; these schemas describe the same fields.
import { z } from "@hono/zod-openapi";
import { hostStatuses, instanceProviders, instanceStatuses } from "../../schema";
import { bearer, jsonBody, jsonResponse, unixSeconds } from "../routes/openapi-app";
import { errorsFor, type Registry } from "./registry";

const Instance = z
  .looseObject({
    id: z.string(),
    object: z.literal("instance"),
    model: z.string(),
    model_uuid: z.string(),
    base_url: z.string(),
    provider: z.enum(instanceProviders),
    status: z.enum(instanceStatuses).openapi({ description: "The control plane's status (Postgres)" }),
    worker_status: z.string().nullable(),
    created_at: unixSeconds.nullable(),
    updated_at: unixSeconds.nullable(),
    last_heartbeat_at: unixSeconds.nullable(),
    has_api_key: z.boolean(),
    failure_reason: z.string().nullable(),
    max_num_seqs: z
      .number()
      .int()
      .nullable()
      .openapi({ description: "As declared at registration (vLLM --max-num-seqs)" }),
    routable: z.boolean(),
    probe: z.looseObject({ phase: z.string() }).nullable().openapi({ description: "The fleet's probes of the host" }),
    load: z.looseObject({ waiting: z.number().nullable(), running: z.number().nullable() }).nullable(),
    agent: z
      .looseObject({ worker_id: z.string().nullable() })
      .nullable()
      .openapi({ description: "What its agent said" }),
    live: z
      .looseObject({
        status: z.string(),
        routable: z.boolean(),
        queue_depth: z.number(),
        inflight: z.number(),
        learned_slots: z.number().nullable().openapi({ description: "Requests it runs at once, seen while it queued" }),
        learned_tokens_per_second: z
          .number()
          .nullable()
          .openapi({ description: "One sequence's decode rate, from the router's completed streams" }),
      })
      .nullable()
      .openapi({ description: "What routing sees now (the model's FleetObject); null when it does not know it" }),
  })
  .openapi("Instance");

const Deployment = z
  .object({
    model: z.string().min(1).openapi({ description: "Model uuid, Hugging Face id or offering" }),
    base_url: z.url().optional().openapi({
      description:
        "The host's OpenAI-compatible server, http(s). Required, except for a `mock` deployment on a router with MOCK_PROVISIONING=1 (the local stack then starts a simulated host)",
    }),
    api_key: z.string().min(1).max(512).nullable().optional().openapi({
      description:
        "The host's vLLM --api-key: sealed, sent on probes and requests; proves a URL another organization holds",
    }),
    provider: z.enum(instanceProviders).default("static"),
    max_num_seqs: z.number().int().min(1).max(65_536).nullable().optional().openapi({
      description:
        "The host's vLLM --max-num-seqs: routing counts the wait for a slot from the first request; without it, routing learns the count once the host queues",
    }),
  })
  .openapi("CreateDeployment");

// Ours, or the seed system's agent as it sends (ip_address + vllm_port, metadata, agent_info).
const HostReport = z
  .looseObject({
    instance_id: z.string(),
    status: z.enum(hostStatuses).optional().openapi({ description: "Required on heartbeats" }),
    worker_id: z.string().optional(),
    model_id: z.string().optional(),
    base_url: z.url().optional(),
    ip_address: z.string().optional(),
    vllm_port: z.number().int().optional(),
    queue_depth: z.number().int().min(0).nullable().optional(),
    gpu_utilization: z.number().optional(),
    gpu_mem_used_mb: z.number().optional(),
    metadata: z.record(z.string(), z.unknown()).optional(),
    agent_info: z.looseObject({ version: z.string().optional(), build_date: z.string().optional() }).optional(),
  })
  .openapi("HostReport");

const InstanceMetrics = z
  .object({
    object: z.literal("instance.metrics"),
    instance_id: z.string(),
    total_requests: z.number().int(),
    successful_requests: z.number().int(),
    failed_requests: z.number().int(),
    aborted_requests: z.number().int(),
    input_tokens: z.number().int(),
    output_tokens: z.number().int(),
    total_tokens: z.number().int(),
    first_request_at: unixSeconds.nullable(),
    last_request_at: unixSeconds.nullable(),
  })
  .openapi("InstanceMetrics");

const idParam = z.object({ id: z.string().openapi({ param: { name: "id", in: "path" } }) });
const adminErrors = errorsFor(400, 401, 403, 404);

export function describeFleet(registry: Registry): void {
  const tags = ["Fleet"];
  registry.registerPath({
    method: "post",
    path: "/deployments",
    tags,
    summary: "Register a GPU host serving a model; answers its worker token once",
    security: bearer,
    request: { body: jsonBody(Deployment) },
    responses: {
      201: jsonResponse(Instance.extend({ worker_token: z.string() }), "The new instance, with its worker token"),
      ...errorsFor(400, 401, 403, 404, 409, 503),
    },
  });
  registry.registerPath({
    method: "get",
    path: "/instances",
    tags,
    summary: "List the organization's instances",
    security: bearer,
    responses: {
      200: jsonResponse(z.object({ object: z.literal("list"), data: z.array(Instance) }), "The instances"),
      ...adminErrors,
    },
  });
  registry.registerPath({
    method: "get",
    path: "/instances/{id}",
    tags,
    summary: "Show an instance, with its live routing state",
    security: bearer,
    request: { params: idParam },
    responses: { 200: jsonResponse(Instance, "The instance"), ...adminErrors },
  });
  registry.registerPath({
    method: "get",
    path: "/instances/{id}/metrics",
    tags,
    summary: "An instance's request and token totals",
    security: bearer,
    request: { params: idParam },
    responses: { 200: jsonResponse(InstanceMetrics, "Totals from the ledger"), ...adminErrors },
  });
  registry.registerPath({
    method: "post",
    path: "/instances/{id}/drain",
    tags,
    summary: "Drain: no new sessions or unpinned requests",
    security: bearer,
    request: { params: idParam },
    responses: { 200: jsonResponse(Instance, "The draining instance"), ...errorsFor(400, 401, 403, 404, 409) },
  });
  registry.registerPath({
    method: "post",
    path: "/instances/{id}/undrain",
    tags,
    summary: "Back into routing after a drain",
    security: bearer,
    request: { params: idParam },
    responses: { 200: jsonResponse(Instance, "The instance, ready"), ...errorsFor(400, 401, 403, 404, 409) },
  });
  registry.registerPath({
    method: "delete",
    path: "/instances/{id}",
    tags,
    summary: "Terminate: out of routing at once; running requests finish",
    security: bearer,
    request: { params: idParam },
    responses: { 200: jsonResponse(Instance, "The terminating instance"), ...adminErrors },
  });

  const agent = ["Host agent"];
  const reportAnswer = z.object({ instance_id: z.string(), status: z.string(), accepted: z.literal(true) });
  for (const [path, summary] of [
    ["/internal/worker/register", "A host agent's first report (status may be left out)"],
    ["/internal/worker/heartbeat", "A host agent's periodic report"],
  ] as const)
    registry.registerPath({
      method: "post",
      path,
      tags: agent,
      summary,
      description: "Authenticated by the instance's worker token (`Authorization: Bearer wt-…`).",
      security: [{ workerToken: [] }],
      request: { body: jsonBody(HostReport) },
      responses: {
        200: jsonResponse(reportAnswer, "The status routing now holds for the instance"),
        ...errorsFor(400, 401, 403, 409, 503),
      },
    });
}
