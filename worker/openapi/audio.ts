// The audio endpoints (routes/audio.ts), described for GET /openapi.json: uploads as
// multipart/form-data, speech as JSON in and audio out. Bodies are checked by the routes, not these schemas.
import { z } from "@hono/zod-openapi";
import { audioUploads } from "../routes/audio";
import { bearer, jsonBody } from "../routes/openapi-app";
import { errorsFor, type Registry } from "./registry";

const errors = errorsFor(400, 401, 403, 404, 413, 500, 502, 503, 504);

const AudioUpload = z
  .looseObject({
    model: z
      .string()
      .openapi({ description: "Must come before `file`: the router routes on it without holding the upload" }),
    file: z.string().openapi({
      description: "The audio (a WAV is metered by its own duration when the host reports none)",
      format: "binary",
    }),
    stream: z
      .enum(["true", "false"])
      .optional()
      .openapi({ description: "Before `file` too, for the router to treat the answer as a stream" }),
    response_format: z.string().optional(),
    language: z.string().optional(),
    prompt: z.string().optional(),
  })
  .openapi("AudioUpload");

const SpeechRequest = z
  .looseObject({
    model: z.string(),
    input: z.string().min(1).openapi({ description: "Metered per character" }),
    voice: z.string().optional(),
    response_format: z.string().optional(),
  })
  .openapi("SpeechRequest");

export function describeAudio(registry: Registry): void {
  for (const [path, kind] of Object.entries(audioUploads))
    registry.registerPath({
      method: "post",
      path,
      tags: ["Audio"],
      summary: `Audio ${kind} (OpenAI-compatible, multipart upload streamed to the host; metered per second of audio)`,
      security: bearer,
      request: { body: { content: { "multipart/form-data": { schema: AudioUpload } }, required: true } },
      responses: {
        200: {
          description: "The transcript: JSON, server-sent events with `stream=true`, or text",
          content: {
            "application/json": { schema: z.looseObject({ text: z.string() }) },
            "text/event-stream": { schema: z.string() },
            "text/plain": { schema: z.string() },
          },
        },
        ...errors,
      },
    });
  registry.registerPath({
    method: "post",
    path: "/v1/audio/speech",
    tags: ["Audio"],
    summary: "Text to speech (OpenAI-compatible; the host's audio streamed back; metered per character)",
    security: bearer,
    request: { body: jsonBody(SpeechRequest) },
    responses: {
      200: { description: "The audio", content: { "audio/*": { schema: z.string().openapi({ format: "binary" }) } } },
      ...errors,
    },
  });
}
