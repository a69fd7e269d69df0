// A key's `models` allow-list is stored canonically — a model's Hugging Face id or an offering's
// `org/code` — so inference checks it with two Set lookups and subsets compare as strings.
import { getCatalog } from "../catalog";
import type { Env } from "../env";
import { badRequest, RouterError } from "../errors";
import { resolveModel } from "../routing/resolve-model";

export async function canonicalModels(env: Env, names: readonly string[], organizationId: string): Promise<string[]> {
  const out = new Set<string>();
  for (const [i, name] of names.entries()) {
    try {
      const { model, offering } = resolveModel(await getCatalog(env, name), name, organizationId);
      out.add(offering ? offering.key : model.hfId);
    } catch (err) {
      if (!(err instanceof RouterError)) throw err;
      throw badRequest(`\`models\`: ${err.message}`, `models.${i}`, err.code ?? "invalid_request");
    }
  }
  return [...out];
}
