// The catalog snapshot (models and offerings), loaded from Postgres and memoised per isolate.
import { eq } from "drizzle-orm";
import { models, organizationModels, organizations } from "../schema";
import { type ConfigSource, configOf } from "./config";
import { type DbConfig, withDb } from "./db";
import { RouterError } from "./errors";
import type { Catalog, CatalogModel, CatalogOffering } from "./routing/resolve-model";
import { memoPolicy, StaleIfErrorMemo } from "./stale-if-error";
import { TtlCache } from "./ttl-cache";

/**
 * A name the snapshot does not know may have been added a moment ago, so it triggers a reload;
 * a name still unknown after that is remembered for a while, so bogus names cannot make every
 * request a database round trip.
 */
const unknownNames = new TtlCache<true>(5_000, 1_000);

const KEY = "catalog";
const snapshots = new StaleIfErrorMemo<Catalog>(1);

export type CatalogConfig = DbConfig & ConfigSource;

export async function loadCatalog(config: DbConfig): Promise<Catalog> {
  const [modelRows, offeringRows] = await withDb(config, (db) =>
    Promise.all([
      db.select().from(models),
      db
        .select({ offering: organizationModels, slug: organizations.slug })
        .from(organizationModels)
        .innerJoin(organizations, eq(organizations.id, organizationModels.organizationId)),
    ]),
  );
  const all: CatalogModel[] = modelRows.map((m) => ({
    id: m.id,
    hfId: m.modelId,
    isActive: m.isActive,
    priceInputPer1k: m.priceInputPer1k,
    priceOutputPer1k: m.priceOutputPer1k,
    pricePerAudioSecond: m.pricePerAudioSecond,
    pricePerCharacter: m.pricePerCharacter,
  }));
  const offerings: CatalogOffering[] = offeringRows.map(({ offering: o, slug }) => ({
    id: o.id,
    organizationId: o.organizationId,
    key: `${slug}/${o.code}`,
    active: o.active,
    modelUuid: o.modelId,
    priceInputPer1k: o.priceInputPer1k,
    priceOutputPer1k: o.priceOutputPer1k,
    pricePerAudioSecond: o.pricePerAudioSecond,
    pricePerCharacter: o.pricePerCharacter,
  }));
  return {
    modelsById: new Map(all.map((m) => [m.id, m])),
    modelsByHfId: new Map(all.map((m) => [m.hfId, m])),
    offeringsByKey: new Map(offerings.map((o) => [o.key, o])),
  };
}

/** After a catalog change through the admin API: this isolate reloads on its next request. */
export function invalidateCatalog(): void {
  snapshots.delete(KEY);
}

const knows = (catalog: Catalog, name: string) =>
  catalog.modelsByHfId.has(name) || catalog.modelsById.has(name.toLowerCase()) || catalog.offeringsByKey.has(name);

/** The memoised catalog; an unknown `requested` name forces one reload. Given `background`
 * (waitUntil), an expired snapshot is refreshed behind the request instead of before it. While
 * Postgres is unreachable the last snapshot keeps serving (stale-if-error); with none, 503. */
export async function getCatalog(
  config: CatalogConfig,
  requested?: string,
  background?: (work: Promise<unknown>) => void,
): Promise<Catalog> {
  const { CATALOG_TTL_MS, STALE_IF_ERROR_MS } = configOf(config);
  const policy = memoPolicy(CATALOG_TTL_MS, STALE_IF_ERROR_MS);
  const held = snapshots.peek(KEY);
  const miss = requested !== undefined && held !== undefined && !knows(held, requested) && !unknownNames.get(requested);
  let catalog: Catalog | undefined;
  try {
    catalog = await snapshots.get(KEY, () => loadCatalog(config), policy, { force: miss, background });
  } catch (err) {
    console.error(JSON.stringify({ msg: "catalog_unavailable", error: String(err) }));
    throw new RouterError(503, {
      message: "The model catalog cannot be loaded right now; retry shortly.",
      code: "catalog_unavailable",
      headers: { "retry-after": "5" },
    });
  }
  if (!catalog) throw new Error("loadCatalog returned nothing");
  if (requested !== undefined && !knows(catalog, requested)) unknownNames.set(requested, true);
  return catalog;
}
