"""The HTTP face of `imagebot serve`: Slack's requests are checked before Bolt reads them; probes go to health.

A request is refused with one log line and never its body: over the size
limit (413, before the body is read), a timestamp that is not a number or a
signature that does not match (401), a body that is not UTF-8, a form that
does not parse or a `payload` that is not a JSON object (400). Only what
passes reaches Bolt, which verifies the signature again.
"""

from __future__ import annotations

import io
import json
import logging
import time
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk.signature import Clock, SignatureVerifier

from bot.core.config import Settings
from bot.core.metrics import count_ack
from bot.health import PATHS

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


class Refused(Exception):
    """A request that does not get to Bolt: the HTTP status and a short reason (no request content)."""

    def __init__(self, status: str, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


class SlackHttp:
    """WSGI: `/slack/events` (checked, then Bolt), the probe paths (health), 404 for anything else."""

    def __init__(self, app: App, settings: Settings, health: WsgiApp, clock: Callable[[], float] = time.time) -> None:
        secret = settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else ""
        self.bolt = SlackRequestHandler(app)
        self.health = health
        self.max_bytes = settings.max_request_bytes
        self.verifier = SignatureVerifier(secret, clock=_Clock(clock))

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path in PATHS and environ.get("REQUEST_METHOD") == "GET":
            return self.health(environ, start_response)
        if path != EVENTS_PATH:
            return _answer(start_response, "404 Not Found", "not found")
        started = time.monotonic()
        try:
            body = self._checked_body(environ)
        except Refused as exc:
            log.warning("refused a Slack request", extra={"status": exc.status, "reason": exc.reason})
            return _answer(start_response, exc.status, exc.reason)
        environ["wsgi.input"] = io.BytesIO(body)
        response = self.bolt(environ, start_response)
        count_ack(time.monotonic() - started)
        return response

    def _checked_body(self, environ: dict[str, Any]) -> bytes:
        if environ.get("REQUEST_METHOD") != "POST":
            raise Refused("405 Method Not Allowed", "Slack sends POST requests")
        body = self._read(environ)
        timestamp = environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP", "")
        if not timestamp.isascii() or not timestamp.isdigit():
            raise Refused("401 Unauthorized", "the request timestamp is not a number")
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            raise Refused("400 Bad Request", "the body is not UTF-8") from None
        signature = environ.get("HTTP_X_SLACK_SIGNATURE", "")
        if not self.verifier.is_valid(body=text, timestamp=timestamp, signature=signature):
            raise Refused("401 Unauthorized", "the signature does not match, or the request is too old")
        _check_content(text, environ.get("CONTENT_TYPE", ""))
        return body

    def _read(self, environ: dict[str, Any]) -> bytes:
        length = environ.get("CONTENT_LENGTH") or "0"
        if not length.isdigit():
            raise Refused("400 Bad Request", "the content length is not a number")
        if int(length) > self.max_bytes:
            raise Refused("413 Content Too Large", f"the body is over {self.max_bytes} bytes")
        return bytes(environ["wsgi.input"].read(int(length)))


def _check_content(text: str, content_type: str) -> None:
    if content_type.startswith("application/json"):
        _json_object(text, "the body")
        return
    try:
        form = parse_qs(text, keep_blank_values=True, strict_parsing=bool(text))
    except ValueError:
        raise Refused("400 Bad Request", "the form body does not parse") from None
    if "payload" in form:
        _json_object(form["payload"][0], "`payload`")


def _json_object(text: str, what: str) -> None:
    try:
        value = json.loads(text)
    except ValueError:
        raise Refused("400 Bad Request", f"{what} is not JSON") from None
    if not isinstance(value, dict):
        raise Refused("400 Bad Request", f"{what} is not a JSON object")


def _answer(start_response: StartResponse, status: str, reason: str) -> list[bytes]:
    data = json.dumps({"error": reason}).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
    return [data]


class _Clock(Clock):
    """slack_sdk's verifier asks its clock for `now()`; tests inject the time."""

    def __init__(self, now: Callable[[], float]) -> None:
        self._now = now

    def now(self) -> float:
        return self._now()
