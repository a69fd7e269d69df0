// Model resolution as a pure function over a catalog snapshot: UUID, Hugging Face id, or an
// organization's offering `org_slug/code`. The seed plan's six cases live here.
import { RouterError } from "../errors";
import { UUID } from "../uuid";

/** A model's or an offering's unit prices, exact decimal strings. */
export interface Prices {
  priceInputPer1k: string;
  priceOutputPer1k: string;
  pricePerAudioSecond: string;
  pricePerCharacter: string;
}

export interface CatalogModel extends Prices {
  id: string;
  hfId: string;
  isActive: boolean;
}

export interface CatalogOffering {
  id: string;
  organizationId: string;
  key: string; // "org_slug/code"
  active: boolean;
  modelUuid: string;
  /** Null: the model's own price. */
  priceInputPer1k: string | null;
  priceOutputPer1k: string | null;
  pricePerAudioSecond: string | null;
  pricePerCharacter: string | null;
}

export interface Catalog {
  modelsById: ReadonlyMap<string, CatalogModel>;
  modelsByHfId: ReadonlyMap<string, CatalogModel>;
  offeringsByKey: ReadonlyMap<string, CatalogOffering>;
}

/** The unit prices in force: an offering's override, else the model's. */
export interface ResolvedModel extends Prices {
  model: CatalogModel;
  offering: CatalogOffering | null;
}

const notFound = (requested: string) =>
  new RouterError(404, {
    message: `The model \`${requested}\` does not exist or is not active.`,
    code: "model_not_found",
    param: "model",
  });

function active(model: CatalogModel | undefined, requested: string): CatalogModel {
  if (!model?.isActive) throw notFound(requested);
  return model;
}

/** Throws a RouterError (400/403/404) when the caller may not use `requested`. */
export function resolveModel(catalog: Catalog, requested: unknown, callerOrgId: string): ResolvedModel {
  if (typeof requested !== "string" || requested.trim() === "") {
    throw new RouterError(400, {
      message: "`model` is required and must be a string.",
      code: "invalid_request",
      param: "model",
    });
  }
  if (UUID.test(requested)) {
    return withModelPrices(active(catalog.modelsById.get(requested.toLowerCase()), requested), null);
  }
  const byHf = catalog.modelsByHfId.get(requested);
  if (byHf) return withModelPrices(active(byHf, requested), null);

  const offering = catalog.offeringsByKey.get(requested);
  if (!offering) throw notFound(requested);
  if (offering.organizationId !== callerOrgId) {
    throw new RouterError(403, {
      message: `The offering \`${requested}\` belongs to another organization.`,
      code: "offering_forbidden",
      param: "model",
    });
  }
  if (!offering.active) throw notFound(requested);
  const model = active(catalog.modelsById.get(offering.modelUuid), requested);
  return {
    model,
    offering,
    priceInputPer1k: offering.priceInputPer1k ?? model.priceInputPer1k,
    priceOutputPer1k: offering.priceOutputPer1k ?? model.priceOutputPer1k,
    pricePerAudioSecond: offering.pricePerAudioSecond ?? model.pricePerAudioSecond,
    pricePerCharacter: offering.pricePerCharacter ?? model.pricePerCharacter,
  };
}

function withModelPrices(model: CatalogModel, offering: null): ResolvedModel {
  const { priceInputPer1k, priceOutputPer1k, pricePerAudioSecond, pricePerCharacter } = model;
  return { model, offering, priceInputPer1k, priceOutputPer1k, pricePerAudioSecond, pricePerCharacter };
}

/** Models and offerings a caller may list in GET /v1/models. */
export function visibleModelIds(catalog: Catalog, callerOrgId: string): { id: string; model: CatalogModel }[] {
  const out: { id: string; model: CatalogModel }[] = [];
  for (const m of catalog.modelsByHfId.values()) if (m.isActive) out.push({ id: m.hfId, model: m });
  for (const o of catalog.offeringsByKey.values()) {
    const m = catalog.modelsById.get(o.modelUuid);
    if (o.organizationId === callerOrgId && o.active && m?.isActive) out.push({ id: o.key, model: m });
  }
  return out;
}
