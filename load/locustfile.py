"""Locust scenarios for the router: the same weighted tasks as load/tasks.ts (the chat mix, the
Responses API beside chat), for interactive exploration with Debian's python3-locust (web UI on
:8089, or headless). The voice mix is load/locust_voice.py. See load/README.md.

Every response is validated (status, JSON shape, usage; streams: chunks parse, [DONE] last) and a
wrong answer is reported as a failure, not only timed. Streams report two rows: the whole answer
("chat stream"), and the time to the first SSE event ("chat stream first chunk").

Environment: LOAD_BASE_URL (or --host), LOAD_API_KEY, LOAD_MODEL, LOAD_STREAM_SHARE,
LOAD_SESSION_SHARE, LOAD_MAX_TOKENS, LOAD_SESSIONS_OPTIONAL=1 (a 404 from GET /v1/sessions passes).
"""
import json
import os
import random
import time
import uuid

from locust import HttpUser, between, task

API_KEY = os.environ.get("LOAD_API_KEY", "sk-inv-dev00000000000000000000000000000")
MODEL = os.environ.get("LOAD_MODEL", "Qwen/Qwen2.5-0.5B-Instruct")
STREAM_SHARE = float(os.environ.get("LOAD_STREAM_SHARE", "0.4"))
SESSION_SHARE = float(os.environ.get("LOAD_SESSION_SHARE", "0.3"))
MAX_TOKENS = int(os.environ.get("LOAD_MAX_TOKENS", "24"))
SESSIONS_OPTIONAL = os.environ.get("LOAD_SESSIONS_OPTIONAL", "").lower() in ("1", "true", "yes")
MAX_TURNS = 6
PROMPTS = [
    "Summarise the plot of Hamlet in two sentences.",
    "What is the capital of Australia?",
    "Give me three names for a grey cat.",
    "Explain what a load balancer does, briefly.",
    "Translate 'good morning' into French and Spanish.",
    "Write a haiku about the sea.",
]


def status_reason(resp):
    """'503 no_worker_available' from an OpenAI-shaped error body, else the status and some text."""
    try:
        body = resp.json()
        err = body.get("error") if isinstance(body, dict) else None
        if isinstance(err, dict) and (err.get("code") or err.get("type")):
            return f"{resp.status_code} {err.get('code') or err.get('type')}"
    except ValueError:
        pass
    return f"{resp.status_code} {resp.text[:60]}".strip()


def is_count(v):
    return isinstance(v, int) and not isinstance(v, bool) and v >= 0


def usage_error(usage):
    if not isinstance(usage, dict):
        return "usage missing"
    p, c, t = usage.get("prompt_tokens"), usage.get("completion_tokens"), usage.get("total_tokens")
    if not (is_count(p) and is_count(c) and is_count(t)):
        return "usage counts not integers"
    if t != p + c:
        return "usage total != prompt + completion"
    return None if c > 0 else "usage has 0 completion tokens"


def chat_error(body):
    """(error or None, assistant text) for a non-streamed chat completion."""
    if not isinstance(body, dict) or body.get("object") != "chat.completion":
        return "object != chat.completion", ""
    choices = body.get("choices") or [{}]
    message = choices[0].get("message") if isinstance(choices[0], dict) else None
    if not isinstance(message, dict) or message.get("role") != "assistant" or not message.get("content"):
        return "no assistant answer", ""
    return usage_error(body.get("usage")), message["content"]


def stream_error(events):
    """(error or None, assistant text) for the data of each SSE event of a chat stream."""
    if not events:
        return "stream: no events", ""
    if "[DONE]" not in events:
        return "stream: no [DONE]", ""
    if events.index("[DONE]") != len(events) - 1:
        return "stream: events after [DONE]", ""
    text, usage = "", None
    for data in events[:-1]:
        try:
            chunk = json.loads(data)
        except ValueError:
            return "stream: chunk is not JSON", ""
        if isinstance(chunk.get("error"), dict):
            return f"stream: error event ({chunk['error'].get('code') or chunk['error'].get('type')})", ""
        if chunk.get("object") != "chat.completion.chunk":
            return "stream: object != chat.completion.chunk", ""
        for choice in chunk.get("choices") or []:
            text += (choice.get("delta") or {}).get("content") or ""
        if isinstance(chunk.get("usage"), dict):
            usage = chunk["usage"]
    if not text:
        return "stream: empty answer", ""
    err = usage_error(usage)
    return (f"stream: {err}" if err else None), text


def response_error(body):
    """(error or None, response id) for a Responses API object."""
    if not isinstance(body, dict) or body.get("object") != "response":
        return "object != response", None
    if body.get("status") != "completed":
        return f"status {body.get('status')}", None
    text = "".join(
        part.get("text") or ""
        for item in body.get("output") or []
        if isinstance(item, dict)
        for part in item.get("content") or []
        if isinstance(part, dict)
    )
    if not text:
        return "empty output", None
    usage = body.get("usage")
    if not isinstance(usage, dict) or not (is_count(usage.get("input_tokens")) and is_count(usage.get("output_tokens"))):
        return "usage counts not integers", None
    return None, body.get("id")


class RouterUser(HttpUser):
    """One virtual user: picks chat 5 : responses 2 : sessions 3 : models 2 : health 1, thinks 0.2–0.8 s."""

    host = os.environ.get("LOAD_BASE_URL", "http://127.0.0.1:8787")
    wait_time = between(0.2, 0.8)

    def on_start(self):
        self.client.headers["Authorization"] = f"Bearer {API_KEY}"
        self.history = []
        self.session_key = self.new_session_key()
        self.last_response_id = None

    @staticmethod
    def new_session_key():
        return f"locust-{uuid.uuid4().hex[:12]}"

    @task(5)
    def send_chat_message(self):
        stream = random.random() < STREAM_SHARE
        in_session = random.random() < SESSION_SHARE
        user = {"role": "user", "content": random.choice(PROMPTS)}
        body = {"model": MODEL, "messages": (self.history if in_session else []) + [user], "max_tokens": MAX_TOKENS}
        headers = {"X-Inventiv-Session": self.session_key} if in_session else {}
        answer = self.chat_stream(body, headers) if stream else self.chat_json(body, headers)
        if in_session and answer:
            self.history += [user, {"role": "assistant", "content": answer}]
            if len(self.history) >= 2 * MAX_TURNS:
                self.history, self.session_key = [], self.new_session_key()

    def chat_json(self, body, headers):
        with self.client.post("/v1/chat/completions", json=body, headers=headers, name="chat", catch_response=True) as resp:
            if resp.status_code != 200:
                return resp.failure(status_reason(resp))
            try:
                err, text = chat_error(resp.json())
            except ValueError:
                err, text = "body is not JSON", ""
            if err:
                return resp.failure(err)
            resp.success()
            return text

    def chat_stream(self, body, headers):
        body = {**body, "stream": True, "stream_options": {"include_usage": True}}
        started = time.perf_counter()
        with self.client.post("/v1/chat/completions", json=body, headers=headers, name="chat stream", stream=True, catch_response=True) as resp:
            if resp.status_code != 200:
                return resp.failure(status_reason(resp))
            events, data, first = [], [], None
            for line in resp.iter_lines(decode_unicode=True):
                if line.startswith("data:"):
                    first = first or time.perf_counter()
                    data.append(line[5:].lstrip(" "))
                elif line == "" and data:
                    events.append("\n".join(data))
                    data = []
            if data:
                events.append("\n".join(data))
            # Locust times a stream=True request to its headers; report the whole answer instead.
            resp.request_meta["response_time"] = (time.perf_counter() - started) * 1000
            if first is not None:
                self.environment.events.request.fire(
                    request_type="SSE", name="chat stream first chunk", response_time=(first - started) * 1000,
                    response_length=0, exception=None, context={},
                )
            err, text = stream_error(events)
            if err:
                return resp.failure(err)
            resp.success()
            return text

    @task(2)
    def create_response(self):
        """POST /v1/responses, 40 % streamed; half the time a follow-up of the user's previous response."""
        body = {"model": MODEL, "input": random.choice(PROMPTS), "max_output_tokens": MAX_TOKENS}
        if self.last_response_id and random.random() < 0.5:
            body["previous_response_id"] = self.last_response_id
        stream = random.random() < STREAM_SHARE
        name = "responses stream" if stream else "responses"
        with self.client.post("/v1/responses", json={**body, "stream": stream}, name=name, stream=stream, catch_response=True) as resp:
            if resp.status_code != 200:
                return resp.failure(status_reason(resp))
            if not stream:
                try:
                    err, rid = response_error(resp.json())
                except ValueError:
                    err, rid = "body is not JSON", None
            else:
                err, rid = "stream: no response.completed", None
                for line in resp.iter_lines(decode_unicode=True):
                    if line.startswith("data:") and '"response.completed"' in line:
                        err, rid = response_error(json.loads(line[5:]).get("response"))
            if err:
                return resp.failure(err)
            self.last_response_id = rid
            resp.success()

    @task(3)
    def list_sessions(self):
        with self.client.get("/v1/sessions", name="sessions", catch_response=True) as resp:
            if resp.status_code == 404 and SESSIONS_OPTIONAL:
                return resp.success()
            if resp.status_code != 200:
                return resp.failure(status_reason(resp))
            try:
                body = resp.json()
            except ValueError:
                return resp.failure("body is not JSON")
            if not isinstance(body, dict) or body.get("object") != "list" or not isinstance(body.get("data"), list):
                return resp.failure("not a list")
            if not isinstance(body.get("has_more"), bool):
                return resp.failure("has_more not a boolean")
            for s in body["data"]:
                if not isinstance(s.get("id"), str) or not isinstance(s.get("model"), str):
                    return resp.failure("session without id/model")
                if not (is_count(s.get("requests")) and is_count(s.get("total_tokens"))):
                    return resp.failure("requests/total_tokens not counts")
                if s.get("created_at") is None or s.get("last_used_at") is None or "instance_id" not in s:
                    return resp.failure("session missing instance_id/created_at/last_used_at")
            resp.success()

    @task(2)
    def list_models(self):
        with self.client.get("/v1/models", name="models", catch_response=True) as resp:
            if resp.status_code != 200:
                return resp.failure(status_reason(resp))
            try:
                body = resp.json()
            except ValueError:
                return resp.failure("body is not JSON")
            if not isinstance(body, dict) or body.get("object") != "list" or not isinstance(body.get("data"), list):
                return resp.failure("not a list")
            if not any(isinstance(m, dict) and m.get("id") == MODEL for m in body["data"]):
                return resp.failure(f"{MODEL} not listed")
            resp.success()

    @task(1)
    def health_check(self):
        with self.client.get("/health", name="health", catch_response=True) as resp:
            if resp.status_code != 200:
                return resp.failure(status_reason(resp))
            try:
                status = resp.json().get("status")
            except (ValueError, AttributeError):
                return resp.failure("body is not a JSON object")
            if status != "ok":
                return resp.failure(f"health: {status}")
            resp.success()
