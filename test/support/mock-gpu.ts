// What the simulated-GPU test files share: the model they serve, the message they send, and a
// reader for SSE bodies.
export const MODEL = "Qwen/Qwen2.5-0.5B-Instruct";
export const MSG = "Hello from the test suite!"; // 26 chars → 7 output tokens of 4 chars

export const chatBody = (extra: Record<string, unknown> = {}): string =>
  JSON.stringify({ model: MODEL, messages: [{ role: "user", content: MSG }], ...extra });

/** Parsed `data:` payloads of an SSE body (the [DONE] marker kept as the string). */
export const events = (text: string): unknown[] =>
  text
    .split("\n\n")
    .filter((e) => e.startsWith("data: "))
    .map((e) => (e === "data: [DONE]" ? "[DONE]" : JSON.parse(e.slice(6))));
