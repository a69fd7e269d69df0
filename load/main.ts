// `npm run load:<profile>`: runs a profile against a router (LOAD_BASE_URL, default the local
// `npm start` stack), or against a stack it brings up itself with --stack / LOAD_START_STACK=1.
// Exit codes: 0 thresholds met, 1 a threshold failed, 2 the run could not start.
import { randomBytes } from "node:crypto";
import { join, relative } from "node:path";
import { ConfigError, type LoadConfig, readConfig } from "./config";
import { machineLine, progressLine, summaryTable, thresholdLines } from "./console";
import { ENDPOINT_NAMES } from "./endpoints";
import { evaluate } from "./evaluate";
import { HttpClient, networkReason, statusReason } from "./http";
import { createLimitedKey, LimitTracker, limitOutcomes } from "./limits";
import { CpuMeter } from "./machine";
import { Collector } from "./metrics";
import { buildProfile, isProfileName, PROFILE_NAMES, totalDurationS } from "./profiles";
import { RESULTS_DIR, type RunResult, saveResult } from "./results";
import { runProfile } from "./runner";
import { type StackProcess, spawnStack } from "./stack-process";

class StartError extends Error {}

const log = (line: string): void => void process.stderr.write(`${line}\n`);

/** Fails fast, with the fix in the message, when the router is not there or the key is wrong. */
async function preflight(client: HttpClient, config: LoadConfig, startedStack: boolean): Promise<void> {
  const hint = startedStack
    ? ""
    : "; start it with `npm start`, or add --stack (LOAD_START_STACK=1) to run a self-contained one";
  const health = await client.send("GET", "/health", { auth: false }).catch((err: unknown) => {
    throw new StartError(`cannot reach the router at ${config.baseUrl} (${networkReason(err)})${hint}`);
  });
  if (health.status !== 200)
    throw new StartError(`${config.baseUrl}/health answered ${statusReason(health.status, health.text)}${hint}`);
  const models = await client.send("GET", "/v1/models");
  if (models.status === 401)
    throw new StartError(`the router rejected the API key (${statusReason(401, models.text)}): set LOAD_API_KEY`);
}

/** The limits scenario's key, made with the run's admin key, and the tracker of its chats. */
async function limitedChats(client: HttpClient, rpm: number) {
  const made = await createLimitedKey(client, { rpm }).catch((err: unknown) => {
    throw new StartError(err instanceof Error ? err.message : String(err));
  });
  log(`load: limits scenario — chats go out with key ${made.id}, limited to ${rpm} requests per minute`);
  return { key: made.key, tracker: new LimitTracker(rpm, made.id) };
}

async function main(): Promise<number> {
  const profileName = process.argv[2] ?? "";
  if (!isProfileName(profileName))
    throw new StartError(`usage: tsx load/main.ts <${PROFILE_NAMES.join("|")}> [--stack]`);
  let config = readConfig(process.env, process.argv.slice(3));
  let stack: StackProcess | undefined;
  if (config.startStack) {
    const logFile = join(RESULTS_DIR, `stack-${new Date().toISOString().replace(/[:.]/g, "-")}.log`);
    log(`load: starting a self-contained stack (its log: ${relative(process.cwd(), logFile)})`);
    stack = await spawnStack(config.stack, logFile).catch((err: unknown) => {
      throw new StartError(err instanceof Error ? err.message : String(err));
    });
    log(`load: ${stack.description}`);
    config = { ...config, baseUrl: stack.baseUrl, apiKey: stack.apiKey, model: process.env.LOAD_MODEL ?? stack.model };
  }
  const client = new HttpClient(config.baseUrl, config.apiKey, config.requestTimeoutMs);
  try {
    await preflight(client, config, stack !== undefined);
    const profile = buildProfile(profileName, config);
    const windowS = Math.max(1, Math.ceil(totalDurationS(profile) / 120));
    const collector = new Collector(windowS * 1000);
    const startedAt = new Date();
    log(`load: ${profile.name} — ${profile.description} — against ${config.baseUrl} (model ${config.model})`);
    if (config.sessionsOptional)
      log("load: LOAD_SESSIONS_OPTIONAL=1 — a 404 from GET /v1/sessions counts as skipped, not as an error");
    const limited = config.limitRpm === null ? undefined : await limitedChats(client, config.limitRpm);
    const cpu = new CpuMeter();
    const outcome = await runProfile(
      profile,
      { client, config, runId: randomBytes(3).toString("hex"), random: Math.random, limited },
      {
        record: (s) => collector.record(s),
        noteVus: (at, vus) => collector.noteVus(at, vus),
        onProgress: (p) => log(progressLine(p)),
        graceMs: Math.min(config.requestTimeoutMs, 15_000),
      },
    );
    const machine = cpu.stop();
    const endpoints = collector.summary(outcome.durationS);
    const evaluation = evaluate(
      profile,
      endpoints,
      (names, from, to) => collector.rpsBetween(names, from, to),
      config.limitRpm === null ? undefined : `the limits scenario caps chats at ${config.limitRpm} a minute`,
    );
    const limits = limited?.tracker.result() ?? null;
    if (limits) {
      evaluation.outcomes.push(...limitOutcomes(limits));
      evaluation.passed = evaluation.outcomes.every((o) => o.verdict !== "fail");
    }
    const requests = ENDPOINT_NAMES.reduce((n, e) => n + endpoints[e].count, 0);
    const errors = ENDPOINT_NAMES.reduce((n, e) => n + endpoints[e].errors, 0);
    const result: RunResult = {
      schema: "inventiv-load-result/1",
      profile: profile.name,
      description: profile.description,
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      durationS: outcome.durationS,
      target: {
        baseUrl: config.baseUrl,
        model: config.model,
        stack: stack?.description ?? "external router (LOAD_BASE_URL)",
        stackLog: stack ? relative(process.cwd(), stack.logFile) : null,
      },
      settings: {
        timeScale: config.timeScale,
        thinkMs: config.thinkMs,
        streamShare: config.streamShare,
        sessionShare: config.sessionShare,
        maxTokens: config.maxTokens,
        sessionsOptional: config.sessionsOptional,
      },
      stages: profile.stages,
      machine,
      endpoints,
      totals: { requests, errors, rps: requests / outcome.durationS, abandoned: outcome.abandoned },
      timeline: collector.timeline(outcome.durationS),
      limits,
      thresholds: evaluation.outcomes,
      passed: evaluation.passed,
    };
    const files = saveResult(result);
    console.log(`\n${summaryTable(result)}\n`);
    console.log(thresholdLines(result));
    if (limits)
      console.log(
        `limits: rpm ${limits.rpm}: ${limits.served} served, ${limits.refused} refused (429), ${limits.serverErrors} 5xx; busiest 60 s served ${limits.busiestMinute} (${(limits.busiestShare * 100).toFixed(1)} % of the limit)`,
      );
    const busy = machineLine(result);
    if (busy) console.log(busy);
    if (outcome.abandoned > 0)
      console.log(`note: ${outcome.abandoned} request(s) still in flight at the end were dropped`);
    console.log(`\nresults: ${relative(process.cwd(), files.json)}\nreport:  ${relative(process.cwd(), files.html)}`);
    const failed = result.thresholds.filter((o) => o.verdict === "fail").length;
    console.log(result.passed ? `\nPASS ${profile.name}` : `\nFAIL ${profile.name}: ${failed} threshold(s) failed`);
    return result.passed ? 0 : 1;
  } finally {
    await client.destroy().catch(() => {});
    await stack?.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    const known = err instanceof StartError || err instanceof ConfigError;
    console.error(`error: ${err instanceof Error ? err.message : String(err)}`);
    if (!known) console.error(err);
    process.exit(2);
  },
);
