import { describe, expect, it } from "vitest";
import { RouterError } from "../../worker/errors";
import {
  type Catalog,
  type CatalogModel,
  type CatalogOffering,
  resolveModel,
  visibleModelIds,
} from "../../worker/routing/resolve-model";

const DEMO = "00000000-0000-4000-8000-00000000d0d0";
const ACME = "00000000-0000-4000-8000-00000000acac";
const qwen: CatalogModel = {
  id: "11111111-1111-4111-8111-111111111111",
  hfId: "Qwen/Qwen2.5-0.5B-Instruct",
  isActive: true,
  priceInputPer1k: "0.0005",
  priceOutputPer1k: "0.0015",
  pricePerAudioSecond: "0.0001",
  pricePerCharacter: "0.000015",
};
const llama: CatalogModel = {
  id: "22222222-2222-4222-8222-222222222222",
  hfId: "meta-llama/Llama-3.1-8B-Instruct",
  isActive: false,
  priceInputPer1k: "0.001",
  priceOutputPer1k: "0.002",
  pricePerAudioSecond: "0",
  pricePerCharacter: "0",
};
const small: CatalogOffering = {
  id: "o1",
  organizationId: DEMO,
  key: "demo/qwen-small",
  active: true,
  modelUuid: qwen.id,
  priceInputPer1k: "0.0007",
  priceOutputPer1k: null,
  pricePerAudioSecond: "0.0002",
  pricePerCharacter: null,
};
const acmeOffer: CatalogOffering = {
  id: "o2",
  organizationId: ACME,
  key: "acme/qwen-private",
  active: true,
  modelUuid: qwen.id,
  priceInputPer1k: null,
  priceOutputPer1k: null,
  pricePerAudioSecond: null,
  pricePerCharacter: null,
};
const retired: CatalogOffering = {
  id: "o3",
  organizationId: DEMO,
  key: "demo/retired",
  active: false,
  modelUuid: qwen.id,
  priceInputPer1k: null,
  priceOutputPer1k: null,
  pricePerAudioSecond: null,
  pricePerCharacter: null,
};

const catalog: Catalog = {
  modelsById: new Map([qwen, llama].map((m) => [m.id, m])),
  modelsByHfId: new Map([qwen, llama].map((m) => [m.hfId, m])),
  offeringsByKey: new Map([small, acmeOffer, retired].map((o) => [o.key, o])),
};

function statusOf(requested: unknown, org = DEMO): number {
  try {
    resolveModel(catalog, requested, org);
    return 200;
  } catch (err) {
    if (err instanceof RouterError) return err.status;
    throw err;
  }
}

describe("resolveModel", () => {
  it("resolves a valid UUID to the Hugging Face id", () => {
    expect(resolveModel(catalog, qwen.id, DEMO).model.hfId).toBe("Qwen/Qwen2.5-0.5B-Instruct");
    expect(resolveModel(catalog, qwen.id.toUpperCase(), DEMO).model.hfId).toBe(qwen.hfId);
  });
  it("returns an existing Hugging Face id as is, with the model's prices", () => {
    const r = resolveModel(catalog, qwen.hfId, DEMO);
    expect(r.model.hfId).toBe(qwen.hfId);
    expect(r.offering).toBeNull();
    expect([r.priceInputPer1k, r.priceOutputPer1k]).toEqual(["0.0005", "0.0015"]);
    expect([r.pricePerAudioSecond, r.pricePerCharacter]).toEqual(["0.0001", "0.000015"]);
  });
  it("resolves the caller's own offering, its prices overriding the model's", () => {
    const r = resolveModel(catalog, "demo/qwen-small", DEMO);
    expect(r.model.hfId).toBe(qwen.hfId);
    expect(r.offering?.id).toBe("o1");
    expect([r.priceInputPer1k, r.priceOutputPer1k]).toEqual(["0.0007", "0.0015"]);
    expect([r.pricePerAudioSecond, r.pricePerCharacter]).toEqual(["0.0002", "0.000015"]);
  });
  it("answers 404 for an unknown UUID, an unknown name and an inactive model (by UUID or name)", () => {
    expect(statusOf("99999999-9999-4999-8999-999999999999")).toBe(404);
    expect(statusOf("nobody/nothing")).toBe(404);
    expect(statusOf(llama.id)).toBe(404);
    expect(statusOf(llama.hfId)).toBe(404);
    expect(statusOf("demo/retired")).toBe(404);
  });
  it("answers 403 for another organization's offering", () => {
    expect(statusOf("acme/qwen-private", DEMO)).toBe(403);
    expect(statusOf("acme/qwen-private", ACME)).toBe(200);
  });
  it("answers 400 when model is missing or not a string", () => {
    expect(statusOf(undefined)).toBe(400);
    expect(statusOf(42)).toBe(400);
    expect(statusOf("  ")).toBe(400);
  });
  it("lists active models and the caller's own offerings only", () => {
    const ids = visibleModelIds(catalog, DEMO).map((v) => v.id);
    expect(ids.sort()).toEqual(["Qwen/Qwen2.5-0.5B-Instruct", "demo/qwen-small"]);
  });
});
