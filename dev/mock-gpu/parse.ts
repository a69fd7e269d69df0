// Validation of chat/completions bodies the way vLLM's OpenAI server does it, and the echo answer.
// The answer is the last user message's text verbatim (completions: the prompt verbatim).
import { charCount, promptTokensFor, splitTokens } from "./tokens";
import { badRequest, modelNotFound, RequestError } from "./vllm-errors";

export type Json = Record<string, unknown>;

export interface GenerationRequest {
  kind: "chat" | "completion";
  model: string;
  stream: boolean;
  includeUsage: boolean;
  promptTokens: number;
  /** Answer tokens, already cut to the token budget. */
  tokens: string[];
  finishReason: "stop" | "length";
}

export interface Limits {
  servedModel: string;
  maxModelLen: number;
  maxTokensDefault: number | undefined;
}

/** Body as a JSON object, or a 400 like vLLM's for anything else. */
export function parseBody(text: string): Json {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw badRequest("JSON decode error: request body is not valid JSON");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw badRequest("Input should be a valid dictionary or object to extract fields from");
  }
  return value as Json;
}

/** vLLM accepts an absent model (serves the default) and 404s any other name. */
export function checkModel(body: Json, served: string): void {
  const model = body.model;
  if (model === undefined || model === null) return;
  if (model !== served) throw new RequestError(404, modelNotFound(String(model)));
}

export function parseGeneration(kind: "chat" | "completion", body: Json, limits: Limits): GenerationRequest {
  const { promptChars, promptTokenIds, answer } = kind === "chat" ? chatInput(body) : completionInput(body);
  checkModel(body, limits.servedModel);
  const stream = body.stream === true;
  const options = body.stream_options;
  if (options !== undefined && options !== null && !stream) {
    throw badRequest("Stream options can only be defined when `stream=True`.");
  }
  const includeUsage = stream && isObject(options) && options.include_usage === true;
  const promptTokens = promptTokenIds ?? promptTokensFor(promptChars);
  const requested = maxTokens(body);
  if (requested !== undefined && promptTokens + requested > limits.maxModelLen) {
    throw badRequest(
      `This model's maximum context length is ${limits.maxModelLen} tokens. However, you requested ` +
        `${promptTokens + requested} tokens (${promptTokens} in the messages, ${requested} in the completion). ` +
        "Please reduce the length of the messages or completion.",
    );
  }
  if (promptTokens >= limits.maxModelLen) {
    throw badRequest(
      `This model's maximum context length is ${limits.maxModelLen} tokens. However, your request has ${promptTokens} input tokens.`,
    );
  }
  const budget = Math.min(requested ?? limits.maxTokensDefault ?? Infinity, limits.maxModelLen - promptTokens);
  const all = splitTokens(answer);
  const truncated = all.length > budget;
  return {
    kind,
    model: limits.servedModel,
    stream,
    includeUsage,
    promptTokens,
    tokens: truncated ? all.slice(0, budget) : all,
    finishReason: truncated ? "length" : "stop",
  };
}

interface Input {
  promptChars: number;
  promptTokenIds?: number;
  answer: string;
}

function chatInput(body: Json): Input {
  const messages = body.messages;
  if (messages === undefined) throw badRequest("Field required: messages");
  if (!Array.isArray(messages) || messages.length === 0) {
    throw badRequest("messages must be a non-empty list of message objects");
  }
  let chars = 0;
  let lastUser = "";
  for (const m of messages) {
    if (!isObject(m) || typeof m.role !== "string") throw badRequest("each message needs a string `role`");
    const text = contentText(m.content);
    chars += charCount(text);
    if (m.role === "user") lastUser = text;
  }
  return { promptChars: chars, answer: lastUser };
}

/** Content is a string, null, or a list of parts of which only `text` parts carry characters. */
function contentText(content: unknown): string {
  if (typeof content === "string") return content;
  if (content === null || content === undefined) return "";
  if (!Array.isArray(content)) throw badRequest("message content must be a string or a list of parts");
  let text = "";
  for (const part of content) {
    if (isObject(part) && part.type === "text" && typeof part.text === "string") text += part.text;
  }
  return text;
}

/** prompt: string | [string] | token ids | [token ids]. Batches of several prompts are not simulated. */
function completionInput(body: Json): Input {
  let prompt = body.prompt;
  if (prompt === undefined || prompt === null) throw badRequest("Field required: prompt");
  if (Array.isArray(prompt) && prompt.length === 1 && (typeof prompt[0] === "string" || Array.isArray(prompt[0]))) {
    prompt = prompt[0];
  }
  if (typeof prompt === "string") return { promptChars: charCount(prompt), answer: prompt };
  if (Array.isArray(prompt) && prompt.length > 0 && prompt.every((t) => Number.isInteger(t))) {
    return { promptChars: 0, promptTokenIds: prompt.length, answer: prompt.join(" ") };
  }
  if (Array.isArray(prompt) && prompt.length > 1) throw badRequest("mock-gpu: batched prompts are not simulated");
  throw badRequest("prompt must be a string, a list of token ids, or a one-element list of either");
}

/** max_completion_tokens wins over max_tokens, as in vLLM; null means unset. */
function maxTokens(body: Json): number | undefined {
  const raw = body.max_completion_tokens ?? body.max_tokens;
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw !== "number" || !Number.isInteger(raw)) throw badRequest("max_tokens must be an integer");
  if (raw < 1) throw badRequest(`max_tokens must be at least 1, got ${raw}.`);
  return raw;
}

export function isObject(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
