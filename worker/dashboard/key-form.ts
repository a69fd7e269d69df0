// The Keys page's forms → the API's own request bodies, checked by the API's own schemas
// (routes/api-keys-spec.ts), so a form and a POST /api-keys accept exactly the same keys.
// Empty fields are absent; a form cannot send null, so nothing here clears a value.
import type { z } from "@hono/zod-openapi";
import type { NewKey } from "../api-keys/manage";
import { CreateBody, RotateBody } from "../routes/api-keys-spec";
import { limitsOfBody } from "../routes/limits-spec";
import { invalidInput } from "../routes/openapi-app";

type Form = Record<string, unknown>;

const text = (form: Form, name: string): string | undefined => {
  const v = form[name];
  return typeof v === "string" && v.trim() !== "" ? v.trim() : undefined;
};
/** A number field: absent when empty; anything else goes to the schema as typed (NaN is refused there). */
const number = (form: Form, name: string): number | undefined => {
  const v = text(form, name);
  return v === undefined ? undefined : Number(v);
};
/** `<input type="date">`: the key stops working at 00:00 UTC that day. */
const dayStart = (day: string | undefined): number | undefined =>
  day === undefined ? undefined : Date.parse(`${day}T00:00:00Z`) / 1000;

function parse<T extends z.ZodType>(schema: T, body: unknown): z.infer<T> {
  const result = schema.safeParse(body);
  if (!result.success) throw invalidInput(result.error);
  return result.data;
}

/** The create form's fields as POST /api-keys's body; 400 (param naming the field) when it would be refused. */
export function newKeyFromForm(form: Form): NewKey {
  const limits = {
    rpm: number(form, "rpm"),
    tpm: number(form, "tpm"),
    max_concurrent: number(form, "max_concurrent"),
    budget:
      text(form, "budget_amount") === undefined
        ? undefined
        : { amount: text(form, "budget_amount"), period: text(form, "budget_period") },
  };
  const body = parse(CreateBody, {
    name: text(form, "name") ?? "",
    role: text(form, "role"),
    expires_at: dayStart(text(form, "expires_on")),
    models: text(form, "models")
      ?.split(/[\s,]+/)
      .filter(Boolean),
    limits: Object.values(limits).some((v) => v !== undefined) ? limits : undefined,
  });
  return {
    name: body.name,
    role: body.role,
    expiresAt: body.expires_at,
    models: body.models,
    limits: limitsOfBody(body.limits),
  };
}

/** The rotate form's grace, as POST /api-keys/{id}/rotate takes it. */
export const graceFromForm = (form: Form): number =>
  parse(RotateBody, { grace_seconds: number(form, "grace_seconds") }).grace_seconds;
