// Sessions: the organization's conversations (X-Inventiv-Session values), the host each is pinned to.
import type { Context } from "hono";
import type { AppEnv } from "../../app-env";
import { withDb } from "../../db";
import { listSessions } from "../../sessions/store";
import { count, isoMinute } from "../format";
import { Layout } from "../layout";
import type { DashboardSession } from "../session";

const LIMIT = 100;

export async function sessionsPage(c: Context<AppEnv>, session: DashboardSession) {
  const rows = await withDb(c.env, (db) => listSessions(db, session.caller.organizationId, LIMIT, null));
  return c.html(
    <Layout title="Sessions" session={session} current="sessions">
      <p class="muted">
        The newest {LIMIT} at most. A session's re-pin history: <code>GET /v1/sessions/&#123;id&#125;</code>.
      </p>
      <table>
        <thead>
          <tr>
            <th scope="col">Session</th>
            <th scope="col">Model</th>
            <th scope="col">Pinned host</th>
            <th scope="col" class="num">
              Requests
            </th>
            <th scope="col" class="num">
              Tokens
            </th>
            <th scope="col">Started (UTC)</th>
            <th scope="col">Last used (UTC)</th>
          </tr>
        </thead>
        <tbody>
          {rows.slice(0, LIMIT).map((s) => (
            <tr>
              <td>
                <code>{s.sessionKey}</code>
              </td>
              <td>{s.model ?? "—"}</td>
              <td>
                <code>{s.instanceId ?? "—"}</code>
              </td>
              <td class="num">{count(s.requestCount)}</td>
              <td class="num">{count(s.totalTokens)}</td>
              <td>{isoMinute(s.createdAt)}</td>
              <td>{isoMinute(s.lastUsedAt)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </Layout>,
  );
}
