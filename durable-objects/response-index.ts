// One ResponseIndex per organization: which host holds each Responses API response. vLLM keeps a
// response in the memory of the process that made it, so a follow-up (`previous_response_id`)
// and every retrieval must reach that host; this object remembers it, in its SQLite, with no
// Postgres on the path. Entries are forgotten after RESPONSE_TTL_MS (the host's memory would not
// outlive a restart anyway).
import { DurableObject } from "cloudflare:workers";
import type { HeldResponse } from "../worker/contracts";
import type { Env } from "../worker/env";

const RESPONSE_TTL_MS = 30 * 24 * 3600 * 1000;
const SWEEP_EVERY_MS = 24 * 3600 * 1000;

export class ResponseIndex extends DurableObject<Env> {
  private readonly sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.sql.exec(`CREATE TABLE IF NOT EXISTS held (
      response_id TEXT PRIMARY KEY, instance_id TEXT NOT NULL, model_uuid TEXT NOT NULL, created_at INTEGER NOT NULL)`);
  }

  async remember(responseId: string, held: HeldResponse): Promise<void> {
    this.sql.exec(
      "INSERT OR REPLACE INTO held (response_id, instance_id, model_uuid, created_at) VALUES (?, ?, ?, ?)",
      responseId,
      held.instanceId,
      held.modelUuid,
      Date.now(),
    );
    if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(Date.now() + SWEEP_EVERY_MS);
  }

  find(responseId: string): HeldResponse | null {
    const row = this.sql
      .exec<{ instance_id: string; model_uuid: string }>(
        "SELECT instance_id, model_uuid FROM held WHERE response_id = ? AND created_at > ?",
        responseId,
        Date.now() - RESPONSE_TTL_MS,
      )
      .toArray()[0];
    return row ? { instanceId: row.instance_id, modelUuid: row.model_uuid } : null;
  }

  forget(responseId: string): void {
    this.sql.exec("DELETE FROM held WHERE response_id = ?", responseId);
  }

  override async alarm(): Promise<void> {
    this.sql.exec("DELETE FROM held WHERE created_at <= ?", Date.now() - RESPONSE_TTL_MS);
    const left = this.sql.exec<{ n: number }>("SELECT count(*) AS n FROM held").one().n;
    if (left > 0) await this.ctx.storage.setAlarm(Date.now() + SWEEP_EVERY_MS);
  }
}
