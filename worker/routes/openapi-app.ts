// Every route group is an OpenAPIHono: its zod schemas both validate requests and generate
// GET /openapi.json. A body, query or path that fails its schema becomes OpenAI's 400 error shape,
// with `param` naming the first offending field.
import { OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../app-env";
import { badRequest, type RouterError } from "../errors";

export function openApiRoutes(): OpenAPIHono<AppEnv> {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) throw invalidInput(result.error);
    },
  });
}

/** A zod failure as the 400 every route answers: the first issue, `param` naming its field. */
export function invalidInput(error: z.ZodError): RouterError {
  const issue = error.issues[0];
  const param = issue?.path.length ? issue.path.join(".") : null;
  return badRequest(param ? `\`${param}\`: ${issue?.message}` : (issue?.message ?? "Invalid request."), param);
}

export const ErrorSchema = z
  .object({
    error: z.object({
      message: z.string(),
      type: z.string(),
      param: z.string().nullable(),
      code: z.string().nullable(),
    }),
  })
  .openapi("Error");

export const errorResponse = (description: string) => ({
  description,
  content: { "application/json": { schema: ErrorSchema } },
});

/** The errors every authenticated admin route may answer with. */
export const adminErrors = {
  400: errorResponse("Invalid request (param names the field)"),
  401: errorResponse("Missing, invalid, expired or revoked API key"),
  403: errorResponse("The key lacks the role, or the power, this needs"),
  404: errorResponse("Not found in the caller's organization"),
} as const;

export const jsonBody = <T extends z.ZodType>(schema: T) => ({
  content: { "application/json": { schema } },
  required: true,
});

export const jsonResponse = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { "application/json": { schema } },
});

export const unixSeconds = z.number().int().openapi({ description: "Unix time, seconds" });
/** Either header carries the key: `Authorization: Bearer sk-…` or `X-API-Key` (worker/openapi/document.ts). */
export const bearer: Record<string, string[]>[] = [{ bearerAuth: [] }, { apiKeyHeader: [] }];
export { UUID } from "../uuid";

/** The keyset page query every list route takes. */
export const pageQuery = z.object({
  limit: z.string().optional().openapi({ description: "1–100, default 20" }),
  after: z.string().optional().openapi({ description: "The previous page's last_id" }),
});

/** One keyset page of `item`s, as every list route answers. */
export const pageOf = <T extends z.ZodType>(item: T) =>
  z.object({
    object: z.literal("list"),
    data: z.array(item),
    first_id: z.string().nullable(),
    last_id: z.string().nullable(),
    has_more: z.boolean(),
  });
