"""A local HTTP server standing in for Slack's Web API (and response_url).

It records every call with its decoded body, answers like Slack does, and can
be told to answer the next calls of a method with an error or a 429.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl


@dataclass
class Call:
    method: str  # Web API method ("chat.postMessage") or "response_url"
    path: str
    body: dict[str, Any]
    headers: dict[str, str]
    at: float = field(default_factory=time.monotonic)


@dataclass
class Scripted:
    status: int
    body: dict[str, Any]
    headers: dict[str, str]


class SlackStandIn:
    def __init__(self) -> None:
        self.calls: list[Call] = []
        self._scripted: dict[str, list[Scripted]] = {}
        self._answers: dict[str, dict[str, Any]] = {}
        self._lock = threading.Condition()
        self._ts = 1700000000.000100
        handler = type("Handler", (_Handler,), {"standin": self})
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}/api/"

    def response_url(self, name: str = "cmd") -> str:
        return f"http://127.0.0.1:{self.server.server_port}/response/{name}"

    def reset(self) -> None:
        with self._lock:
            self.calls.clear()
            self._scripted.clear()
            self._answers.clear()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def fail_next(
        self,
        method: str,
        status: int = 200,
        error: str = "internal_error",
        retry_after: int | None = None,
        times: int = 1,
    ) -> None:
        """Answer the next `times` calls of `method` with an error (or a 429 when status=429)."""
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
        body = {"ok": False, "error": "ratelimited" if status == 429 else error}
        with self._lock:
            self._scripted.setdefault(method, []).extend(Scripted(status, body, headers) for _ in range(times))

    def answer(self, method: str, body: dict[str, Any]) -> None:
        """Answer every later call of `method` with this body (200), e.g. usergroups.list."""
        with self._lock:
            self._answers[method] = body

    def calls_to(self, method: str) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.method == method]

    def wait_for(self, method: str, count: int = 1, timeout: float = 10.0) -> list[Call]:
        """Block until `count` calls of `method` were recorded; fail loudly otherwise."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while len([c for c in self.calls if c.method == method]) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    seen = [c.method for c in self.calls]
                    raise AssertionError(f"expected {count} call(s) to {method}; recorded: {seen}")
                self._lock.wait(left)
            return [c for c in self.calls if c.method == method]

    # called by the handler thread
    def _record(self, call: Call) -> Scripted:
        with self._lock:
            self.calls.append(call)
            self._lock.notify_all()
            queue = self._scripted.get(call.method)
            if queue:
                return queue.pop(0)
            return Scripted(200, self._answer(call), {})

    def _answer(self, call: Call) -> dict[str, Any]:
        if call.method in self._answers:
            return self._answers[call.method]
        if call.method == "response_url":
            return {"ok": True}
        if call.method == "auth.test":
            return {
                "ok": True,
                "url": "https://example.slack.com/",
                "team": "Test",
                "user": "imagebot",
                "team_id": "T0TEST",
                "user_id": "U0BOT",
                "bot_id": "B0BOT",
            }
        if call.method in ("chat.postMessage", "chat.update", "chat.postEphemeral"):
            self._ts += 1
            ts = call.body.get("ts") if call.method == "chat.update" else f"{self._ts:.6f}"
            return {
                "ok": True,
                "channel": call.body.get("channel", "C0"),
                "ts": ts,
                "message": {"text": call.body.get("text", ""), "ts": ts},
            }
        return {"ok": True}


class _Handler(BaseHTTPRequestHandler):
    standin: SlackStandIn

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
        body = _decode(raw, self.headers.get("Content-Type", ""))
        method = self.path[len("/api/") :].split("?")[0] if self.path.startswith("/api/") else "response_url"
        answer = self.standin._record(Call(method, self.path, body, dict(self.headers.items())))
        payload = json.dumps(answer.body).encode()
        self.send_response(answer.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        for key, value in answer.headers.items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST

    def log_message(self, format: str, *args: Any) -> None:
        pass


def _decode(raw: str, content_type: str) -> dict[str, Any]:
    if "json" in content_type:
        return json.loads(raw or "{}")
    body: dict[str, Any] = dict(parse_qsl(raw))
    for key in ("blocks", "attachments"):
        if isinstance(body.get(key), str):
            body[key] = json.loads(body[key])
    return body
