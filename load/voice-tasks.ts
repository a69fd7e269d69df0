// The voice mix, as in the seed's Locust Voice user: synthesize speech 5 (TTS), transcribe speech 3
// (STT), and the combined workflow 1 (TTS, then STT of the audio just made). The simulated host's
// WAVs carry their words, so a transcript is checked against the text it came from.
import { wavFile } from "../dev/mock-gpu/wav";
import { statusReason } from "./http";
import { measured, type Task, type TaskContext, type VirtualUser } from "./tasks";
import { validateSpeech, validateTranscript } from "./validate";

const SENTENCES = [
  "Your table for two is booked at eight.",
  "The next train to Lyon leaves from platform three.",
  "Remember to water the plants on Thursday.",
  "The meeting moved to the small room upstairs.",
  "It will rain this afternoon, take an umbrella.",
];
/** One spoken clip per sentence (≈ 2 s of 24 kHz mono audio, ≈ 100 kB), made once. */
const CLIPS = SENTENCES.map((text) => ({ text, wav: wavFile(2, text) }));
const BOUNDARY = "----load-voice-boundary";
const encoder = new TextEncoder();

/** A transcription form, `model` before the file (the router routes on it without holding the upload). */
function transcriptionForm(model: string, wav: Uint8Array): Uint8Array {
  const head = encoder.encode(
    `--${BOUNDARY}\r\nContent-Disposition: form-data; name="model"\r\n\r\n${model}\r\n` +
      `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="speech.wav"\r\nContent-Type: audio/wav\r\n\r\n`,
  );
  const tail = encoder.encode(`\r\n--${BOUNDARY}--\r\n`);
  const form = new Uint8Array(head.length + wav.length + tail.length);
  form.set(head);
  form.set(wav, head.length);
  form.set(tail, head.length + wav.length);
  return form;
}

/** TTS; the audio when it is a whole WAV. */
async function speak(ctx: TaskContext, text: string): Promise<Buffer | null> {
  const out: { audio: Buffer | null } = { audio: null };
  await measured(ctx, "tts", async () => {
    const body = { model: ctx.config.model, input: text, voice: "alloy", response_format: "wav" };
    const r = await ctx.client.post("/v1/audio/speech", { body });
    if (r.status !== 200) return { latencyMs: r.latencyMs, error: statusReason(r.status, r.bytes.toString("utf8")) };
    const error = validateSpeech(r.bytes, r.contentType);
    if (error === null) out.audio = r.bytes;
    return { latencyMs: r.latencyMs, ...(error === null ? {} : { error }) };
  });
  return out.audio;
}

async function transcribe(ctx: TaskContext, wav: Uint8Array, expected: string): Promise<void> {
  await measured(ctx, "stt", async () => {
    const r = await ctx.client.post("/v1/audio/transcriptions", {
      raw: transcriptionForm(ctx.config.model, wav),
      contentType: `multipart/form-data; boundary=${BOUNDARY}`,
    });
    const text = r.bytes.toString("utf8");
    if (r.status !== 200) return { latencyMs: r.latencyMs, error: statusReason(r.status, text) };
    const error = validateTranscript(text, expected);
    return { latencyMs: r.latencyMs, ...(error === null ? {} : { error }) };
  });
}

const pick = <T>(list: readonly T[], r: number): T => list[Math.floor(r * list.length)] ?? (list[0] as T);

export const VOICE_TASKS: readonly Task[] = [
  {
    name: "synthesize_speech",
    weight: 5,
    run: async (_vu: VirtualUser, ctx) => void (await speak(ctx, pick(SENTENCES, ctx.random()))),
  },
  {
    name: "transcribe_speech",
    weight: 3,
    run: (_vu: VirtualUser, ctx) => {
      const clip = pick(CLIPS, ctx.random());
      return transcribe(ctx, clip.wav, clip.text);
    },
  },
  {
    name: "combined_voice_workflow",
    weight: 1,
    run: async (_vu: VirtualUser, ctx) => {
      const text = pick(SENTENCES, ctx.random());
      const audio = await speak(ctx, text);
      if (audio) await transcribe(ctx, audio, text);
    },
  },
];
