// Models & offerings: what this organization can call, from the memoised catalog (no query when warm).
import type { Context } from "hono";
import type { AppEnv } from "../../app-env";
import { getCatalog } from "../../catalog";
import type { CatalogModel, CatalogOffering } from "../../routing/resolve-model";
import { Layout } from "../layout";
import type { DashboardSession } from "../session";
import { type Column, Table } from "../table";

const modelColumns: Column<CatalogModel>[] = [
  { title: "Model", cell: (m) => m.hfId },
  { title: "Input per 1k tokens", num: true, cell: (m) => m.priceInputPer1k },
  { title: "Output per 1k tokens", num: true, cell: (m) => m.priceOutputPer1k },
];

type Offering = CatalogOffering & { model: CatalogModel | undefined };
const offeringColumns: Column<Offering>[] = [
  { title: "Offering", cell: (o) => o.key },
  { title: "Model", cell: (o) => o.model?.hfId ?? o.modelUuid },
  { title: "Active", cell: (o) => (o.active ? "yes" : "no") },
  { title: "Input per 1k", num: true, cell: (o) => o.priceInputPer1k ?? o.model?.priceInputPer1k },
  { title: "Output per 1k", num: true, cell: (o) => o.priceOutputPer1k ?? o.model?.priceOutputPer1k },
];

export async function modelsPage(c: Context<AppEnv>, session: DashboardSession) {
  const catalog = await getCatalog(c.env, undefined, (work) => c.executionCtx.waitUntil(work));
  const active = [...catalog.modelsById.values()]
    .filter((m) => m.isActive)
    .sort((a, b) => a.hfId.localeCompare(b.hfId));
  const offerings = [...catalog.offeringsByKey.values()]
    .filter((o) => o.organizationId === session.caller.organizationId)
    .sort((a, b) => a.key.localeCompare(b.key))
    .map((o) => ({ ...o, model: catalog.modelsById.get(o.modelUuid) }));
  return c.html(
    <Layout title="Models & offerings" session={session} current="models">
      <h2>Models</h2>
      <Table columns={modelColumns} rows={active} />
      <h2>Your organization's offerings</h2>
      <Table columns={offeringColumns} rows={offerings} empty="None." />
    </Layout>,
  );
}
