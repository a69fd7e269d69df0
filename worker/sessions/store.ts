// The router's "conversations" as Postgres keeps them: chat_sessions rows, which the usage
// writer upserts for every metered request that carried X-Inventiv-Session.
import { and, desc, eq, sql } from "drizzle-orm";
import { chatSessions, models } from "../../schema";
import type { Db } from "../db";

export type SessionRow = Awaited<ReturnType<typeof selectSessions>>[number];

function selectSessions(db: Db) {
  return db
    .select({
      sessionKey: chatSessions.sessionKey,
      modelUuid: chatSessions.modelId,
      model: models.modelId,
      instanceId: chatSessions.instanceId,
      requestCount: chatSessions.requestCount,
      totalTokens: chatSessions.totalTokens,
      createdAt: chatSessions.createdAt,
      lastUsedAt: chatSessions.lastUsedAt,
    })
    .from(chatSessions)
    .leftJoin(models, eq(models.id, chatSessions.modelId))
    .$dynamic();
}

export async function findSession(db: Db, organizationId: string, sessionKey: string): Promise<SessionRow | undefined> {
  const [row] = await selectSessions(db).where(
    and(eq(chatSessions.organizationId, organizationId), eq(chatSessions.sessionKey, sessionKey)),
  );
  return row;
}

/**
 * Newest first by creation (which never changes, so pages stay stable while sessions are in use),
 * then by key. `after` is the last id of the previous page; `limit + 1` rows tell whether more exist.
 */
export function listSessions(
  db: Db,
  organizationId: string,
  limit: number,
  after: string | null,
): Promise<SessionRow[]> {
  const position = after
    ? sql`(${chatSessions.createdAt}, ${chatSessions.sessionKey}) < (
        select c.created_at, c.session_key from chat_sessions c where c.organization_id = ${organizationId} and c.session_key = ${after})`
    : undefined;
  return selectSessions(db)
    .where(and(eq(chatSessions.organizationId, organizationId), position))
    .orderBy(desc(chatSessions.createdAt), desc(chatSessions.sessionKey))
    .limit(limit + 1);
}
