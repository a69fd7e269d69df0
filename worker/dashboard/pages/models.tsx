// Models & offerings: what this organization can call, from the memoised catalog (no query when warm).
import type { Context } from "hono";
import type { AppEnv } from "../../app-env";
import { getCatalog } from "../../catalog";
import { Layout } from "../layout";
import type { DashboardSession } from "../session";

export async function modelsPage(c: Context<AppEnv>, session: DashboardSession) {
  const catalog = await getCatalog(c.env, undefined, (work) => c.executionCtx.waitUntil(work));
  const active = [...catalog.modelsById.values()]
    .filter((m) => m.isActive)
    .sort((a, b) => a.hfId.localeCompare(b.hfId));
  const offerings = [...catalog.offeringsByKey.values()]
    .filter((o) => o.organizationId === session.caller.organizationId)
    .sort((a, b) => a.key.localeCompare(b.key));
  return c.html(
    <Layout title="Models & offerings" session={session} current="models">
      <h2>Models</h2>
      <table>
        <thead>
          <tr>
            <th scope="col">Model</th>
            <th scope="col" class="num">
              Input per 1k tokens
            </th>
            <th scope="col" class="num">
              Output per 1k tokens
            </th>
          </tr>
        </thead>
        <tbody>
          {active.map((m) => (
            <tr>
              <td>{m.hfId}</td>
              <td class="num">{m.priceInputPer1k}</td>
              <td class="num">{m.priceOutputPer1k}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h2>Your organization's offerings</h2>
      {offerings.length === 0 ? (
        <p class="muted">None.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">Offering</th>
              <th scope="col">Model</th>
              <th scope="col">Active</th>
              <th scope="col" class="num">
                Input per 1k
              </th>
              <th scope="col" class="num">
                Output per 1k
              </th>
            </tr>
          </thead>
          <tbody>
            {offerings.map((o) => {
              const model = catalog.modelsById.get(o.modelUuid);
              return (
                <tr>
                  <td>{o.key}</td>
                  <td>{model?.hfId ?? o.modelUuid}</td>
                  <td>{o.active ? "yes" : "no"}</td>
                  <td class="num">{o.priceInputPer1k ?? model?.priceInputPer1k}</td>
                  <td class="num">{o.priceOutputPer1k ?? model?.priceOutputPer1k}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </Layout>,
  );
}
