// Row builders shared by the demo seed and the tests. Driver-agnostic (node-postgres in Node,
// the Neon driver in workerd) and free of Node imports, so both runtimes can load it.
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import type { ApiKeyRole, InstanceProvider, InstanceStatus } from "../schema";
import * as schema from "../schema";
import { sha256Hex } from "../worker/hash";

export { sha256Hex };

export type AnyDb = PgDatabase<PgQueryResultHKT, typeof schema>;
export type { ApiKeyRole } from "../schema";

export function randomHex(bytes: number): string {
  return [...crypto.getRandomValues(new Uint8Array(bytes))].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** "sk-inv-" + 32 hex characters. */
export function newApiKey(): string {
  return `sk-inv-${randomHex(16)}`;
}

/** A slug no other test run will pick, for tests sharing one database. */
export function uniqueSlug(prefix: string): string {
  return `${prefix}-${randomHex(6)}`;
}

/** Upserts by slug, so reruns return the same id. */
export async function createOrg(db: AnyDb, slug = uniqueSlug("org"), name = slug): Promise<string> {
  const [row] = await db
    .insert(schema.organizations)
    .values({ slug, name })
    .onConflictDoUpdate({ target: schema.organizations.slug, set: { name } })
    .returning({ id: schema.organizations.id });
  if (!row) throw new Error(`organization ${slug} not written`);
  return row.id;
}

export interface ModelInput {
  modelId: string;
  name?: string;
  isActive?: boolean;
  priceInputPer1k?: string;
  priceOutputPer1k?: string;
  pricePerAudioSecond?: string;
  pricePerCharacter?: string;
}

/** Upserts by Hugging Face id; returns the model's uuid. */
export async function createModel(db: AnyDb, input: ModelInput): Promise<string> {
  const set = {
    name: input.name ?? input.modelId,
    isActive: input.isActive ?? true,
    priceInputPer1k: input.priceInputPer1k ?? "0",
    priceOutputPer1k: input.priceOutputPer1k ?? "0",
    pricePerAudioSecond: input.pricePerAudioSecond ?? "0",
    pricePerCharacter: input.pricePerCharacter ?? "0",
  };
  const [row] = await db
    .insert(schema.models)
    .values({ modelId: input.modelId, ...set })
    .onConflictDoUpdate({ target: schema.models.modelId, set })
    .returning({ id: schema.models.id });
  if (!row) throw new Error(`model ${input.modelId} not written`);
  return row.id;
}

export interface OfferingInput {
  orgId: string;
  modelUuid: string;
  code: string;
  active?: boolean;
  priceInputPer1k?: string | null;
  priceOutputPer1k?: string | null;
  pricePerAudioSecond?: string | null;
  pricePerCharacter?: string | null;
}

/** Upserts the offering `<org slug>/<code>`; returns its id. */
export async function createOffering(db: AnyDb, input: OfferingInput): Promise<string> {
  const set = {
    modelId: input.modelUuid,
    active: input.active ?? true,
    priceInputPer1k: input.priceInputPer1k ?? null,
    priceOutputPer1k: input.priceOutputPer1k ?? null,
    pricePerAudioSecond: input.pricePerAudioSecond ?? null,
    pricePerCharacter: input.pricePerCharacter ?? null,
  };
  const [row] = await db
    .insert(schema.organizationModels)
    .values({ organizationId: input.orgId, code: input.code, ...set })
    .onConflictDoUpdate({
      target: [schema.organizationModels.organizationId, schema.organizationModels.code],
      set,
    })
    .returning({ id: schema.organizationModels.id });
  if (!row) throw new Error(`offering ${input.code} not written`);
  return row.id;
}

export interface ApiKeyOptions {
  /** Plaintext to store (hashed); a fresh random key when absent. */
  key?: string;
  name?: string;
  revoked?: boolean;
}

/** Stores only the hash and prefix; returns the plaintext key. Rerunning with the same key resets it. */
export async function createApiKey(
  db: AnyDb,
  orgId: string,
  role: ApiKeyRole = "member",
  options: ApiKeyOptions = {},
): Promise<string> {
  const key = options.key ?? newApiKey();
  const set = {
    organizationId: orgId,
    name: options.name ?? `${role} key`,
    keyPrefix: key.slice(0, 12),
    role,
    revokedAt: options.revoked ? new Date() : null,
  };
  await db
    .insert(schema.apiKeys)
    .values({ ...set, keyHash: await sha256Hex(key) })
    .onConflictDoUpdate({ target: schema.apiKeys.keyHash, set });
  return key;
}

export interface InstanceInput {
  orgId: string;
  modelUuid: string;
  baseUrl: string;
  /** Fixed ids make reruns update the same row. */
  id?: string;
  /** Worker bearer token; a fresh random one when absent. */
  token?: string;
  status?: InstanceStatus;
  provider?: InstanceProvider;
}

export interface CreatedInstance {
  id: string;
  token: string;
  baseUrl: string;
}

/** Upserts a GPU host row holding only the token's hash; returns the plaintext token. */
export async function createInstance(db: AnyDb, input: InstanceInput): Promise<CreatedInstance> {
  const token = input.token ?? `wt-${randomHex(24)}`;
  const set = {
    organizationId: input.orgId,
    modelId: input.modelUuid,
    provider: input.provider ?? "mock",
    baseUrl: input.baseUrl,
    status: input.status ?? "booting",
    workerTokenHash: await sha256Hex(token),
    updatedAt: new Date(),
  };
  const [row] = await db
    .insert(schema.instances)
    .values(input.id ? { id: input.id, ...set } : set)
    .onConflictDoUpdate({ target: schema.instances.id, set })
    .returning({ id: schema.instances.id });
  if (!row) throw new Error(`instance for ${input.baseUrl} not written`);
  return { id: row.id, token, baseUrl: input.baseUrl };
}
