// What the audio test files share: a stack whose models have audio prices and a 2 MiB upload limit,
// the mock's WAV carrying WORDS, and the faults set on its two hosts at once.
import { toFile } from "openai";
import { wavFile } from "../../dev/mock-gpu/wav";
import { type Stack, startStack } from "./stack";

export const WORDS = "the quick brown fox"; // 19 chars → 5 transcript tokens
export const SPEECH = "Hello from the test suite!"; // 26 characters
export const CAP = 2 * 1024 * 1024;

/** Two hosts; per second of audio 0.0001, per character 0.000015; AUDIO_MAX_BODY_BYTES = CAP. */
export const startAudioStack = (): Promise<Stack> =>
  startStack({
    hosts: 2,
    pricePerAudioSecond: "0.0001",
    pricePerCharacter: "0.000015",
    vars: { AUDIO_MAX_BODY_BYTES: String(CAP) },
  });

/** 2.5 s of 24 kHz mono 16-bit audio carrying WORDS (the mock transcribes its own WAVs back). */
export const wav = () => toFile(wavFile(2.5, WORDS), "speech.wav", { type: "audio/wav" });
export const rid = (id: string) => ({ headers: { "X-Request-Id": id } });
/** The stack's two hosts (a test adds a third, gone at once). */
export const forAllHosts = (stack: Stack, faults: Parameters<Stack["hosts"][number]["gpu"]["setFaults"]>[0]) => {
  for (const h of stack.hosts.slice(0, 2)) h.gpu.setFaults(faults);
};
