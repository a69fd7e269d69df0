// Which tasks a profile's virtual users pick from, and so which endpoints its run measures (an
// endpoint of the mix that served nothing fails the run; the others are not reported).
import type { EndpointName } from "./endpoints";
import { CHAT_TASKS, type Task } from "./tasks";
import { VOICE_TASKS } from "./voice-tasks";

export type MixName = "chat" | "voice";

export interface Mix {
  tasks: readonly Task[];
  endpoints: readonly EndpointName[];
}

export const MIXES: Record<MixName, Mix> = {
  chat: {
    tasks: CHAT_TASKS,
    endpoints: ["chat", "chat_stream", "responses", "responses_stream", "sessions", "models", "health"],
  },
  voice: { tasks: VOICE_TASKS, endpoints: ["tts", "stt"] },
};

/** The mix's task for `r` uniform in [0, 1), by weight. */
export function pickTask(mix: Mix, r: number): Task {
  const total = mix.tasks.reduce((sum, t) => sum + t.weight, 0);
  let left = r * total;
  for (const task of mix.tasks) {
    left -= task.weight;
    if (left < 0) return task;
  }
  const last = mix.tasks.at(-1);
  if (!last) throw new Error("no tasks");
  return last;
}
