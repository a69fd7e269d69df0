// Keys (admins): the organization's API keys with their prefix, role, limits, last use and status;
// create (the secret shown on the answer to that form, once), rotate (the new secret likewise) and
// revoke. The rules are api-keys/manage.ts's, the same the admin API runs; the forms are checked
// against the API's own schemas (key-form.ts). Nothing here stores or logs a secret.
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { apiKeyRoles, budgetPeriods, type Limits } from "../../../schema";
import { createKey, revokeKey, rotateKey } from "../../api-keys/manage";
import { type ApiKeyRow, listApiKeys } from "../../api-keys/store";
import type { AppEnv } from "../../app-env";
import { withDb } from "../../db";
import { RouterError } from "../../errors";
import { UUID } from "../../uuid";
import { isoMinute } from "../format";
import { graceFromForm, newKeyFromForm } from "../key-form";
import { CsrfField, Layout, pages } from "../layout";
import type { DashboardSession } from "../session";
import { type Column, Table } from "../table";

const PAGE = 50;

/** The grace choices a rotation offers (POST /api-keys/{id}/rotate takes any up to 30 days). */
const GRACES: [number, string][] = [
  [0, "no grace"],
  [3_600, "old works 1 h"],
  [86_400, "old works 24 h"],
];

function limitsText(l: Limits | null): string {
  if (!l) return "none";
  const parts = [
    l.rpm === undefined ? null : `${l.rpm} req/min`,
    l.tpm === undefined ? null : `${l.tpm} tokens/min`,
    l.maxConcurrent === undefined ? null : `${l.maxConcurrent} at once`,
    l.budget === undefined ? null : `$${l.budget.amount} a ${l.budget.period}`,
  ];
  return parts.filter(Boolean).join(" · ") || "none";
}

function status(k: ApiKeyRow, now: number) {
  if (k.revokedAt) return <span class="bad">revoked {isoMinute(k.revokedAt)}</span>;
  if (k.expiresAt && k.expiresAt.getTime() <= now) return <span class="bad">expired</span>;
  if (k.previousKeyHash && k.previousKeyExpiresAt && k.previousKeyExpiresAt.getTime() > now)
    return <span class="warn">active; old secret until {isoMinute(k.previousKeyExpiresAt)}</span>;
  return <span class="ok">active</span>;
}

function actions(k: ApiKeyRow, session: DashboardSession) {
  if (k.revokedAt) return null;
  return (
    <>
      <form method="post" action={`/dashboard/keys/${k.id}/rotate`} class="inline">
        <CsrfField session={session} />
        <select name="grace_seconds" aria-label={`Grace for rotating ${k.name}`}>
          {GRACES.map(([s, label]) => (
            <option value={String(s)}>{label}</option>
          ))}
        </select>{" "}
        <button type="submit">Rotate</button>
      </form>{" "}
      <form method="post" action={`/dashboard/keys/${k.id}/revoke`} class="inline">
        <CsrfField session={session} />
        <button type="submit" class="danger">
          Revoke
        </button>
      </form>
    </>
  );
}

function columns(session: DashboardSession, now: number): Column<ApiKeyRow>[] {
  return [
    {
      title: "Name",
      field: "name",
      cell: (k) => (
        <>
          {k.name}
          {k.id === session.caller.apiKeyId ? <span class="muted"> (this session)</span> : null}
        </>
      ),
    },
    { title: "Prefix", field: "prefix", nowrap: true, cell: (k) => <code>{k.keyPrefix}…</code> },
    { title: "Role", field: "role", cell: (k) => k.role },
    { title: "Organization", nowrap: true, cell: () => session.caller.organizationSlug },
    { title: "Models", cell: (k) => (k.models ? k.models.join(", ") : <span class="muted">all</span>) },
    { title: "Limits", field: "limits", cell: (k) => limitsText(k.limits) },
    { title: "Last used (UTC)", nowrap: true, cell: (k) => isoMinute(k.lastUsedAt) },
    { title: "Expires (UTC)", nowrap: true, cell: (k) => (k.expiresAt ? isoMinute(k.expiresAt) : "never") },
    { title: "Status", field: "status", cell: (k) => status(k, now) },
    { title: "Actions", nowrap: true, cell: (k) => actions(k, session) },
  ];
}

function CreateForm({ session }: { session: DashboardSession }) {
  return (
    <form method="post" action="/dashboard/keys" aria-label="Create a key">
      <CsrfField session={session} />
      <div class="filters">
        <label>
          Name
          <input name="name" required maxlength={200} />
        </label>
        <label>
          Role
          <select name="role">
            {apiKeyRoles.map((r) => (
              <option value={r} selected={r === "member"}>
                {r}
              </option>
            ))}
          </select>
        </label>
        <label>
          Expires on (UTC)
          <input name="expires_on" type="date" />
        </label>
        <label>
          Models (blank: all)
          <input name="models" placeholder="ids or org/code, comma-separated" size={32} />
        </label>
      </div>
      <fieldset class="filters">
        <legend>Limits (blank: none beyond the organization's)</legend>
        <label>
          Requests / min
          <input name="rpm" type="number" min={1} step={1} />
        </label>
        <label>
          Tokens / min
          <input name="tpm" type="number" min={1} step={1} />
        </label>
        <label>
          At once
          <input name="max_concurrent" type="number" min={1} step={1} />
        </label>
        <label>
          Budget
          <input name="budget_amount" inputmode="decimal" placeholder="25.00" size={10} />
        </label>
        <label>
          per
          <select name="budget_period">
            {budgetPeriods.map((p) => (
              <option value={p}>{p}</option>
            ))}
          </select>
        </label>
      </fieldset>
      <p>
        <button type="submit">Create key</button>
      </p>
    </form>
  );
}

interface Outcome {
  /** A secret just made: shown on this answer only. */
  issued?: { name: string; secret: string; verb: "created" | "rotated" };
  error?: string;
}

async function renderKeys(
  c: Context<AppEnv>,
  session: DashboardSession,
  outcome: Outcome = {},
  status: ContentfulStatusCode = 200,
) {
  const rawAfter = c.req.query("after");
  const after = rawAfter && UUID.test(rawAfter) ? rawAfter : null;
  const rows = await withDb(c.env, (db) => listApiKeys(db, session.caller.organizationId, PAGE, after));
  const shown = rows.slice(0, PAGE);
  const last = shown.at(-1);
  // The page that shows a secret must not be kept by the browser's cache or history.
  c.header("Cache-Control", "no-store");
  return c.html(
    <Layout title="Keys" session={session} current="keys">
      {outcome.issued ? (
        <div class="notice" role="status">
          <p>
            Key <strong>{outcome.issued.name}</strong> {outcome.issued.verb}. Copy its secret now: it is not shown
            again.
          </p>
          <code class="secret" data-field="secret">
            {outcome.issued.secret}
          </code>
        </div>
      ) : null}
      {outcome.error ? (
        <p class="notice error" role="alert">
          {outcome.error}
        </p>
      ) : null}
      <h2>Create a key</h2>
      <CreateForm session={session} />
      <h2>Your organization's keys</h2>
      <Table
        columns={columns(session, Date.now())}
        rows={shown}
        rowAttributes={(k) => ({ "data-key": k.id })}
        empty="No keys."
      />
      {rows.length > PAGE && last ? <a href={`${pages.keys.path}?after=${last.id}`}>Older keys</a> : null}
    </Layout>,
    status,
  );
}

export const keysPage = (c: Context<AppEnv>, session: DashboardSession) => renderKeys(c, session);

/** A refusal the person can fix (a bad field, more power than their own key): the page again, with why. */
async function refusable(
  c: Context<AppEnv>,
  session: DashboardSession,
  work: () => Promise<Outcome>,
  status: ContentfulStatusCode,
): Promise<Response> {
  try {
    return await renderKeys(c, session, await work(), status);
  } catch (err) {
    if (err instanceof RouterError && (err.status === 400 || err.status === 403))
      return renderKeys(c, session, { error: err.message }, err.status === 400 ? 400 : 403);
    throw err;
  }
}

export const createKeyAction = (c: Context<AppEnv>, session: DashboardSession) =>
  refusable(
    c,
    session,
    async () => {
      const { row, secret } = await createKey(c.env, session.caller, newKeyFromForm(await c.req.parseBody()));
      return { issued: { name: row.name, secret, verb: "created" } };
    },
    201,
  );

export const rotateKeyAction = (c: Context<AppEnv>, session: DashboardSession) =>
  refusable(
    c,
    session,
    async () => {
      const grace = graceFromForm(await c.req.parseBody());
      const { row, secret } = await rotateKey(c.env, session.caller, c.req.param("id") ?? "", grace);
      return { issued: { name: row.name, secret, verb: "rotated" } };
    },
    200,
  );

export async function revokeKeyAction(c: Context<AppEnv>, session: DashboardSession): Promise<Response> {
  await revokeKey(c.env, session.caller, c.req.param("id") ?? "");
  return c.redirect(pages.keys.path, 303);
}
