// The client API, described for GET /openapi.json: OpenAI's inference endpoints (routes/inference.ts),
// /v1/models and /v1/sessions. Inference bodies are described loosely (the documented fields, any
// others passed to the host) and are NOT parsed by these schemas: the hot path keeps its own checks.
import { z } from "@hono/zod-openapi";
import { bearer, jsonBody, jsonResponse, pageOf, pageQuery, unixSeconds } from "../routes/openapi-app";
import { utilityEndpoints } from "../routes/utility";
import { errorsFor, type Registry } from "./registry";

const sessionHeader = z.object({
  "x-inventiv-session": z
    .string()
    .optional()
    .openapi({ description: "Pins a conversation to one host (1–128 of A–Z a–z 0–9 . _ : -)" }),
});

const streamFields = {
  stream: z.boolean().optional().openapi({ description: "Server-sent events, ending with `data: [DONE]`" }),
  stream_options: z.looseObject({ include_usage: z.boolean().optional() }).nullable().optional(),
};

const Usage = z.looseObject({
  prompt_tokens: z.number().int(),
  completion_tokens: z.number().int().optional(),
  total_tokens: z.number().int(),
});

const ChatRequest = z
  .looseObject({
    model: z.string().openapi({ description: "Model uuid, Hugging Face id or offering (`org/code`)" }),
    messages: z.array(z.looseObject({ role: z.string(), content: z.unknown().optional() })).min(1),
    max_tokens: z.number().int().optional(),
    temperature: z.number().optional(),
    top_p: z.number().optional(),
    ...streamFields,
  })
  .openapi("ChatCompletionRequest");

const ChatCompletion = z
  .looseObject({
    id: z.string(),
    object: z.literal("chat.completion"),
    created: unixSeconds,
    model: z.string(),
    choices: z.array(
      z.looseObject({
        index: z.number().int(),
        message: z.looseObject({ role: z.string(), content: z.string().nullable() }),
        finish_reason: z.string().nullable(),
      }),
    ),
    usage: Usage.optional(),
  })
  .openapi("ChatCompletion");

const CompletionRequest = z
  .looseObject({
    model: z.string(),
    prompt: z.union([z.string(), z.array(z.unknown()).min(1)]),
    max_tokens: z.number().int().optional(),
    temperature: z.number().optional(),
    ...streamFields,
  })
  .openapi("CompletionRequest");

const Completion = z
  .looseObject({
    id: z.string(),
    object: z.literal("text_completion"),
    created: unixSeconds,
    model: z.string(),
    choices: z.array(
      z.looseObject({ index: z.number().int(), text: z.string(), finish_reason: z.string().nullable() }),
    ),
    usage: Usage.optional(),
  })
  .openapi("Completion");

const EmbeddingRequest = z
  .looseObject({
    model: z.string(),
    input: z.union([z.string(), z.array(z.unknown()).min(1)]),
    encoding_format: z.enum(["float", "base64"]).optional(),
  })
  .openapi("EmbeddingRequest");

const EmbeddingList = z
  .looseObject({
    object: z.literal("list"),
    data: z.array(
      z.looseObject({
        object: z.literal("embedding"),
        index: z.number().int(),
        embedding: z.union([z.array(z.number()), z.string()]),
      }),
    ),
    model: z.string(),
    usage: Usage.optional(),
  })
  .openapi("EmbeddingList");

const Model = z
  .object({
    id: z.string(),
    object: z.literal("model"),
    created: unixSeconds,
    owned_by: z.string(),
    root: z.string().openapi({ description: "The Hugging Face id the hosts serve" }),
  })
  .openapi("Model");

const Session = z
  .looseObject({
    id: z.string(),
    object: z.literal("chat.session"),
    model: z.string().nullable(),
    instance_id: z.string().nullable(),
    requests: z.number().int(),
    total_tokens: z.number().int(),
    created_at: unixSeconds,
    last_used_at: unixSeconds,
  })
  .openapi("Session");

const SessionDetail = Session.extend({
  pin: z
    .object({
      instance_id: z.string(),
      pinned_at: unixSeconds,
      requests_routed: z.number().int(),
      repins: z.array(z.object({ at: unixSeconds, from: z.string(), to: z.string(), reason: z.string() })),
    })
    .nullable(),
}).openapi("SessionDetail");

const inferenceErrors = errorsFor(400, 401, 403, 404, 413, 429, 500, 502, 503, 504);
const readErrors = errorsFor(400, 401, 403, 404);
const idParam = z.object({ id: z.string().openapi({ param: { name: "id", in: "path" } }) });

const inference = [
  ["/v1/chat/completions", "Chat completion (OpenAI-compatible)", ChatRequest, ChatCompletion, true],
  ["/v1/completions", "Text completion (OpenAI-compatible)", CompletionRequest, Completion, true],
  ["/v1/embeddings", "Embeddings (OpenAI-compatible)", EmbeddingRequest, EmbeddingList, false],
] as const;

export function describeClientApi(registry: Registry): void {
  for (const [path, summary, body, answer, streams] of inference)
    registry.registerPath({
      method: "post",
      path,
      tags: ["Inference"],
      summary,
      security: bearer,
      request: { headers: sessionHeader, body: jsonBody(body) },
      responses: {
        200: {
          description: streams ? "The answer, or with `stream: true` its server-sent events" : "The answer",
          content: {
            "application/json": { schema: answer },
            ...(streams ? { "text/event-stream": { schema: z.string() } } : {}),
          },
        },
        ...inferenceErrors,
      },
    });

  const models = ["Models"];
  registry.registerPath({
    method: "get",
    path: "/v1/models",
    tags: models,
    summary: "The models the key may call",
    security: bearer,
    responses: {
      200: jsonResponse(z.object({ object: z.literal("list"), data: z.array(Model) }), "The models"),
      ...readErrors,
    },
  });
  registry.registerPath({
    method: "get",
    path: "/v1/models/{id}",
    tags: models,
    summary: "One model (the id may contain `/`)",
    security: bearer,
    request: { params: idParam },
    responses: { 200: jsonResponse(Model, "The model"), ...readErrors },
  });

  const sessions = ["Sessions"];
  registry.registerPath({
    method: "get",
    path: "/v1/sessions",
    tags: sessions,
    summary: "The organization's sessions, most recent first",
    security: bearer,
    request: {
      query: pageQuery,
    },
    responses: {
      200: jsonResponse(pageOf(Session), "A page of sessions"),
      ...readErrors,
    },
  });
  registry.registerPath({
    method: "get",
    path: "/v1/sessions/{id}",
    tags: sessions,
    summary: "A session, with its live pin and re-pin history",
    security: bearer,
    request: { params: idParam },
    responses: { 200: jsonResponse(SessionDetail, "The session"), ...readErrors },
  });

  // The Responses API and vLLM's utility endpoints: bodies are the host's, passed through.
  const passthrough = z.object({}).passthrough();
  const answered = {
    200: { description: "The host's answer", content: { "application/json": { schema: passthrough } } },
  };
  const responses: [string, "get" | "post" | "delete", string][] = [
    ["/v1/responses", "post", "Create a response (JSON or server-sent events)"],
    ["/v1/responses/{id}", "get", "A response, from the host that holds it"],
    ["/v1/responses/{id}", "delete", "Delete a response on the host that holds it"],
    ["/v1/responses/{id}/cancel", "post", "Cancel a background response"],
  ];
  for (const [path, method, summary] of responses)
    registry.registerPath({
      method,
      path,
      tags: ["Responses"],
      summary,
      security: bearer,
      request: {
        ...(path.includes("{id}") ? { params: idParam } : {}),
        ...(method === "post" && !path.includes("{id}") ? { body: jsonBody(passthrough) } : {}),
      },
      responses: { ...answered, ...inferenceErrors },
    });
  for (const path of Object.keys(utilityEndpoints))
    registry.registerPath({
      method: "post",
      path,
      tags: ["Utility"],
      summary: `vLLM's ${path} on the model's fleet (not charged)`,
      security: bearer,
      request: { body: jsonBody(passthrough) },
      responses: { ...answered, ...inferenceErrors },
    });
}
