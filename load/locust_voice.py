"""Locust voice scenario, as the seed's voice_api.py for this router: synthesize speech 5 (TTS,
POST /v1/audio/speech), transcribe speech 3 (STT, POST /v1/audio/transcriptions, a multipart upload
with `model` before the file), the combined workflow 1 (TTS, then STT of that audio). The same tasks
as load/voice-tasks.ts; the simulated host's WAVs carry their words, so transcripts are checked.

    locust -f load/locust_voice.py --host http://127.0.0.1:8787

Environment: LOAD_BASE_URL (or --host), LOAD_API_KEY, LOAD_MODEL.
"""
import math
import os
import random
import struct

from locust import HttpUser, between, task

API_KEY = os.environ.get("LOAD_API_KEY", "sk-inv-dev00000000000000000000000000000")
MODEL = os.environ.get("LOAD_MODEL", "Qwen/Qwen2.5-0.5B-Instruct")
SENTENCES = [
    "Your table for two is booked at eight.",
    "The next train to Lyon leaves from platform three.",
    "Remember to water the plants on Thursday.",
    "The meeting moved to the small room upstairs.",
    "It will rain this afternoon, take an umbrella.",
]


def wav_file(seconds, text, rate=24_000):
    """A 16-bit mono PCM WAV of a quiet 440 Hz tone with `text` in a `mock` chunk (dev/mock-gpu/wav.ts)."""
    samples = b"".join(struct.pack("<h", round(3000 * math.sin(2 * math.pi * 440 * i / rate))) for i in range(int(seconds * rate)))
    words = text.encode()
    chunk = b"mock" + struct.pack("<I", len(words)) + words + (b"\0" if len(words) % 2 else b"")
    fmt = b"fmt " + struct.pack("<IHHIIHH", 16, 1, 1, rate, rate * 2, 2, 16)
    body = b"WAVE" + fmt + chunk + b"data" + struct.pack("<I", len(samples)) + samples
    return b"RIFF" + struct.pack("<I", len(body)) + body


CLIPS = [(text, wav_file(2, text)) for text in SENTENCES]


def status_reason(resp):
    try:
        err = resp.json().get("error")
        if isinstance(err, dict) and (err.get("code") or err.get("type")):
            return f"{resp.status_code} {err.get('code') or err.get('type')}"
    except (ValueError, AttributeError):
        pass
    return f"{resp.status_code} {resp.text[:60]}".strip()


def wav_error(resp):
    audio = resp.content
    if not resp.headers.get("content-type", "").startswith("audio/"):
        return f"content-type {resp.headers.get('content-type')}"
    if len(audio) < 44 or audio[:4] != b"RIFF" or audio[8:12] != b"WAVE":
        return "not a WAV file"
    return None if struct.unpack("<I", audio[4:8])[0] == len(audio) - 8 else "WAV cut short"


class VoiceUser(HttpUser):
    """One virtual user: TTS 5 : STT 3 : TTS → STT 1, thinks 0.2–0.8 s."""

    host = os.environ.get("LOAD_BASE_URL", "http://127.0.0.1:8787")
    wait_time = between(0.2, 0.8)

    def on_start(self):
        self.client.headers["Authorization"] = f"Bearer {API_KEY}"

    def speak(self, text):
        body = {"model": MODEL, "input": text, "voice": "alloy", "response_format": "wav"}
        with self.client.post("/v1/audio/speech", json=body, name="tts", catch_response=True) as resp:
            if resp.status_code != 200:
                return resp.failure(status_reason(resp))
            err = wav_error(resp)
            if err:
                return resp.failure(err)
            resp.success()
            return resp.content

    def transcribe(self, audio, expected):
        # requests sends `data` fields before `files`: `model` comes first, as the router needs.
        files = {"file": ("speech.wav", audio, "audio/wav")}
        with self.client.post("/v1/audio/transcriptions", data={"model": MODEL}, files=files, name="stt", catch_response=True) as resp:
            if resp.status_code != 200:
                return resp.failure(status_reason(resp))
            try:
                text = resp.json().get("text")
            except (ValueError, AttributeError):
                return resp.failure("body is not JSON")
            if text != expected:
                return resp.failure("transcript differs from the audio's words")
            resp.success()

    @task(5)
    def synthesize_speech(self):
        self.speak(random.choice(SENTENCES))

    @task(3)
    def transcribe_speech(self):
        text, audio = random.choice(CLIPS)
        self.transcribe(audio, text)

    @task(1)
    def combined_voice_workflow(self):
        text = random.choice(SENTENCES)
        audio = self.speak(text)
        if audio:
            self.transcribe(audio, text)
