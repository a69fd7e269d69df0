// CLI for the simulated GPU host. Prints one line (its URL) once listening; errors are one line, exit 1.
//   tsx dev/mock-gpu/cli.ts --port 9001 --model Qwen/Qwen2.5-0.5B-Instruct \
//     [--router http://127.0.0.1:8787 --instance-id <uuid> --token <t>] [--host H] [--ttft-ms N]
//     [--token-delay-ms N] [--heartbeat-ms N] [--max-tokens-default N] [--max-model-len N] [--max-num-seqs N]
//     [--status starting|ready|draining] [--queue-depth N] [--public-url URL]
//     [--no-agent] [--api-key KEY] [--load-ms N] [--engines N]
import { parseArgs } from "node:util";
import { hostStatuses } from "../../schema";
import { type MockGpuOptions, startMockGpu, type WorkerStatus } from "./server";

function fail(message: string, code = 1): never {
  process.stderr.write(`mock-gpu: ${message}\n`);
  process.exit(code);
}

function int(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) fail(`--${name} must be a non-negative integer, got "${raw}"`, 2);
  return n;
}

function readArgs() {
  try {
    return parseArgs({
      strict: true,
      options: {
        port: { type: "string", default: "0" },
        host: { type: "string" },
        model: { type: "string" },
        router: { type: "string" },
        "instance-id": { type: "string" },
        token: { type: "string" },
        "ttft-ms": { type: "string" },
        "token-delay-ms": { type: "string" },
        "heartbeat-ms": { type: "string" },
        "max-tokens-default": { type: "string" },
        "max-model-len": { type: "string" },
        "max-num-seqs": { type: "string" },
        status: { type: "string" },
        "queue-depth": { type: "string" },
        "public-url": { type: "string" },
        "no-agent": { type: "boolean" },
        "api-key": { type: "string" },
        "load-ms": { type: "string" },
        engines: { type: "string" },
      },
    }).values;
  } catch (err) {
    return fail(err instanceof Error ? err.message : String(err), 2);
  }
}

function parseOptions(): MockGpuOptions {
  const values = readArgs();
  if (!values.model) fail("--model is required (the Hugging Face id to serve)", 2);
  const agentArgs = [values.router, values["instance-id"], values.token];
  if (agentArgs.some(Boolean) && !agentArgs.every(Boolean)) {
    fail("--router, --instance-id and --token go together (all or none)", 2);
  }
  const status = values.status;
  if (status !== undefined && !(hostStatuses as readonly string[]).includes(status)) {
    fail(`--status must be one of ${hostStatuses.join(", ")}, got "${status}"`, 2);
  }
  return {
    port: int("port", values.port),
    host: values.host,
    model: values.model,
    router: values.router,
    instanceId: values["instance-id"],
    token: values.token,
    ttftMs: int("ttft-ms", values["ttft-ms"]),
    tokenDelayMs: int("token-delay-ms", values["token-delay-ms"]),
    heartbeatMs: int("heartbeat-ms", values["heartbeat-ms"]),
    maxTokensDefault: int("max-tokens-default", values["max-tokens-default"]),
    maxModelLen: int("max-model-len", values["max-model-len"]),
    maxNumSeqs: int("max-num-seqs", values["max-num-seqs"]),
    workerStatus: status as WorkerStatus | undefined,
    reportedQueueDepth: int("queue-depth", values["queue-depth"]),
    publicUrl: values["public-url"],
    noAgent: values["no-agent"],
    apiKey: values["api-key"],
    loadMs: int("load-ms", values["load-ms"]),
    engines: int("engines", values.engines),
  };
}

async function main(): Promise<void> {
  const options = parseOptions();
  const gpu = await startMockGpu(options).catch((err: NodeJS.ErrnoException) => {
    const where = `${options.host ?? "127.0.0.1"}:${options.port ?? 0}`;
    if (err.code === "EADDRINUSE") fail(`port ${where} is already in use`);
    fail(`cannot listen on ${where}: ${err.message}`);
  });
  process.stdout.write(`${gpu.url}\n`);
  const stop = (): void => {
    void gpu.close().then(() => process.exit(0));
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

void main();
