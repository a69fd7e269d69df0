// Sessions: the organization's conversations (X-Inventiv-Session values), the host each is pinned to.
import type { Context } from "hono";
import type { AppEnv } from "../../app-env";
import { withDb } from "../../db";
import { listSessions, type SessionRow } from "../../sessions/store";
import { count, isoMinute } from "../format";
import { Layout } from "../layout";
import type { DashboardSession } from "../session";
import { type Column, Table } from "../table";

const LIMIT = 100;

const columns: Column<SessionRow>[] = [
  { title: "Session", cell: (s) => <code>{s.sessionKey}</code> },
  { title: "Model", cell: (s) => s.model ?? "—" },
  { title: "Pinned host", cell: (s) => <code>{s.instanceId ?? "—"}</code> },
  { title: "Requests", num: true, cell: (s) => count(s.requestCount) },
  { title: "Tokens", num: true, cell: (s) => count(s.totalTokens) },
  { title: "Started (UTC)", cell: (s) => isoMinute(s.createdAt) },
  { title: "Last used (UTC)", cell: (s) => isoMinute(s.lastUsedAt) },
];

export async function sessionsPage(c: Context<AppEnv>, session: DashboardSession) {
  const rows = await withDb(c.env, (db) => listSessions(db, session.caller.organizationId, LIMIT, null));
  return c.html(
    <Layout title="Sessions" session={session} current="sessions">
      <p class="muted">
        The newest {LIMIT} at most. A session's re-pin history: <code>GET /v1/sessions/&#123;id&#125;</code>.
      </p>
      <Table columns={columns} rows={rows.slice(0, LIMIT)} empty="No sessions yet." />
    </Layout>,
  );
}
