// POST /deployments: a GPU host joins with one call. Checks who else holds its URL (a host's working
// vLLM key proves it is yours), seals its key, writes the row, then hands it to its fleet to probe.

import type { Context } from "hono";
import type { InstanceProvider } from "../../schema";
import type { AppEnv } from "../app-env";
import { getCatalog } from "../catalog";
import { withDb } from "../db";
import { badRequest, RouterError } from "../errors";
import { fleetReplicas } from "../fleet/replicas";
import { sha256Hex } from "../hash";
import { HostKeyError, sealHostKey } from "../hosts/host-key";
import { normalizeBaseUrl, provesHostKey } from "../hosts/ownership";
import { hasControlChars, isHttpUrl } from "../http/text";
import { resolveModel } from "../routing/resolve-model";
import { findInstance, holdersOf, type InstanceRow, insertInstance } from "./instance-store";

export interface DeploymentRequest {
  model: string;
  baseUrl: string;
  apiKey: string | null;
  provider: InstanceProvider;
  /** A mock instance without a host yet: the local stack's mock provider starts one. */
  provisioning: boolean;
  /** Its vLLM `--max-num-seqs`, when the operator says (else routing learns it). */
  maxNumSeqs: number | null;
}

/** vLLM's own bound on --max-num-seqs is the hardware; this one keeps a typo from meaning "infinite". */
const MAX_NUM_SEQS_LIMIT = 65_536;

/** What base_url holds for a mock instance until the local stack's mock provider records its host. */
const UNPROVISIONED = "";

const OWNERSHIP_PROOF_TIMEOUT_MS = 5_000;

/** The worker token a GPU host's agent authenticates with; only its hash is stored. */
function newWorkerToken(): string {
  return `wt-${[...crypto.getRandomValues(new Uint8Array(24))].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
}

const conflict = (message: string, code: string) => new RouterError(409, { message, code, param: "base_url" });

/** 409 when this organization has the URL already, or another does and the request does not prove the host. */
async function checkOwnership(c: Context<AppEnv>, orgId: string, input: DeploymentRequest): Promise<void> {
  const holders = await withDb(c.env, (db) => holdersOf(db, input.baseUrl));
  if (holders.includes(orgId))
    throw conflict(`\`${input.baseUrl}\` is already registered in your organization.`, "host_already_registered");
  if (holders.length === 0) return;
  if (input.apiKey && (await provesHostKey(input.baseUrl, input.apiKey, OWNERSHIP_PROOF_TIMEOUT_MS))) return;
  throw conflict(
    `\`${input.baseUrl}\` is registered by another organization; registering it too needs the host's own API key (its vLLM --api-key).`,
    "host_owned_elsewhere",
  );
}

export async function registerHost(
  c: Context<AppEnv>,
  input: DeploymentRequest,
): Promise<{ row: InstanceRow; token: string }> {
  const orgId = c.get("caller").organizationId;
  const { model } = resolveModel(await getCatalog(c.env, input.model), input.model, orgId);
  // No URL yet: nobody else can hold it, and there is nothing to probe until the host heartbeats.
  if (!input.provisioning) await checkOwnership(c, orgId, input);
  const id = crypto.randomUUID();
  let sealed: string | null = null;
  try {
    sealed = input.apiKey ? await sealHostKey(input.apiKey, c.env.HOST_KEY_ENCRYPTION_KEY, id) : null;
  } catch (err) {
    if (!(err instanceof HostKeyError)) throw err;
    throw new RouterError(503, {
      message: `Host API keys cannot be stored: ${err.message}`,
      code: "host_keys_unavailable",
    });
  }
  const token = newWorkerToken();
  const row = await withDb(c.env, async (db) => {
    await insertInstance(db, {
      id,
      organizationId: orgId,
      modelUuid: model.id,
      baseUrl: input.baseUrl,
      provider: input.provider,
      workerTokenHash: await sha256Hex(token),
      hostApiKeySealed: sealed,
      status: input.provisioning ? "provisioning" : "booting",
      maxNumSeqs: input.maxNumSeqs,
    });
    return findInstance(db, orgId, id);
  });
  if (!row) throw new RouterError(500, { message: "The new instance could not be read back.", code: "internal_error" });
  if (input.provisioning) return { row, token };
  const scope = { organizationId: orgId, modelUuid: model.id };
  // Probed from now on; if this call fails, the host's agent (if any) still admits it.
  const admission = {
    instanceId: id,
    baseUrl: input.baseUrl,
    model: model.hfId,
    sealedApiKey: sealed,
    knownStatus: row.status,
    scope,
    maxNumSeqs: input.maxNumSeqs,
  };
  await Promise.all(
    fleetReplicas(c.env, scope).map((fleet) =>
      fleet
        .admit(admission)
        .catch((err: unknown) =>
          console.error(JSON.stringify({ msg: "fleet_admit_failed", instance: id, error: String(err) })),
        ),
    ),
  );
  return { row, token };
}

function parseMaxNumSeqs(value: unknown): number | null {
  if (value === undefined || value === null) return null;
  if (typeof value === "number" && Number.isInteger(value) && value >= 1 && value <= MAX_NUM_SEQS_LIMIT) return value;
  throw badRequest(
    `\`max_num_seqs\` must be the host's vLLM --max-num-seqs, an integer from 1 to ${MAX_NUM_SEQS_LIMIT}.`,
    "max_num_seqs",
  );
}

export function parseDeployment(
  body: unknown,
  providers: readonly InstanceProvider[],
  mockProvisioning: boolean,
): DeploymentRequest {
  const b = (typeof body === "object" && body !== null ? body : {}) as Record<string, unknown>;
  const maxNumSeqs = parseMaxNumSeqs(b.max_num_seqs);
  if (typeof b.model !== "string" || b.model === "" || hasControlChars(b.model))
    throw badRequest("`model` is required (uuid, Hugging Face id or offering).", "model");
  // The Worker never starts a host: it records the instance; the local stack's mock provider
  // (dev/mock-provisioner.ts) starts one and records its base URL.
  if (b.provider === "mock" && providers.includes("mock") && b.base_url === undefined) {
    if (!mockProvisioning)
      throw badRequest(
        "A `mock` deployment needs `base_url` here: this router has no mock provider to start a host (MOCK_PROVISIONING is 0).",
        "base_url",
      );
    return {
      model: b.model,
      baseUrl: UNPROVISIONED,
      apiKey: null,
      provider: "mock",
      provisioning: true,
      maxNumSeqs,
    };
  }
  const baseUrl = typeof b.base_url === "string" && isHttpUrl(b.base_url) ? normalizeBaseUrl(b.base_url) : null;
  if (!baseUrl) throw badRequest("`base_url` must be an http(s) URL (no credentials, query or fragment).", "base_url");
  if (
    b.api_key !== undefined &&
    b.api_key !== null &&
    (typeof b.api_key !== "string" || b.api_key === "" || b.api_key.length > 512 || hasControlChars(b.api_key))
  )
    throw badRequest("`api_key` must be the host's vLLM --api-key (a non-empty string).", "api_key");
  const provider = b.provider ?? "static";
  if (!providers.includes(provider as InstanceProvider))
    throw badRequest(`\`provider\` must be ${providers.map((p) => `\`${p}\``).join(" or ")}.`, "provider");
  return {
    model: b.model,
    baseUrl,
    apiKey: (b.api_key as string | undefined) ?? null,
    provider: provider as InstanceProvider,
    provisioning: false,
    maxNumSeqs,
  };
}
