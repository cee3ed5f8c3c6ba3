"""Signed Slack requests, sent through a real Bolt app with `app.dispatch`."""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import urlencode

from slack_bolt import App, BoltRequest, BoltResponse
from slack_sdk.signature import SignatureVerifier

SIGNING_SECRET = "test-signing-secret-0123456789abcdef"


def signed_headers(body: str, secret: str = SIGNING_SECRET, timestamp: int | None = None) -> dict[str, list[str]]:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    signature = SignatureVerifier(secret).generate_signature(timestamp=ts, body=body)
    return {
        "x-slack-request-timestamp": [ts],
        "x-slack-signature": [signature or ""],
        "content-type": ["application/x-www-form-urlencoded"],
    }


def slash_command_fields(text: str, response_url: str, user: str = "U0USER", channel: str = "C0CHAN") -> dict[str, str]:
    """A slash command's fields, as Slack sends them (a form over HTTP, JSON in Socket Mode)."""
    return {
        "token": "legacy",
        "team_id": "T0TEST",
        "team_domain": "test",
        "channel_id": channel,
        "channel_name": "ops",
        "user_id": user,
        "user_name": "someone",
        "command": "/image",
        "text": text,
        "response_url": response_url,
        "trigger_id": "1.2.3",
        "api_app_id": "A0APP",
    }


def slash_command_body(text: str, response_url: str, user: str = "U0USER", channel: str = "C0CHAN") -> str:
    return urlencode(slash_command_fields(text, response_url, user, channel))


def event_callback(event: dict[str, Any]) -> dict[str, Any]:
    """An Events API event_callback around `event`, with a fresh event_id."""
    return {
        "token": "legacy",
        "team_id": "T0TEST",
        "api_app_id": "A0APP",
        "type": "event_callback",
        "event_id": f"Ev{time.monotonic_ns()}",
        "event_time": int(time.time()),
        "event": event,
        "authorizations": [{"team_id": "T0TEST", "user_id": "U0BOT", "is_bot": True}],
    }


def event_body(event: dict[str, Any]) -> str:
    return json.dumps(event_callback(event))


def mention_body(text: str, ts: str, channel: str = "C0CHAN", user: str = "U0USER") -> str:
    """An app_mention event addressed to the bot (U0BOT)."""
    return event_body({"type": "app_mention", "user": user, "channel": channel, "ts": ts, "text": f"<@U0BOT> {text}"})


def dm_body(text: str, ts: str, channel: str = "D0DM", user: str = "U0USER", **extra: Any) -> str:
    """A message.im event: a direct message to the bot."""
    event = {"type": "message", "channel_type": "im", "user": user, "channel": channel, "ts": ts, "text": text}
    return event_body({**event, **extra})


def action_body(action_id: str, value: str, response_url: str, user: str = "U0USER", channel: str = "C0CHAN") -> str:
    payload = {
        "type": "block_actions",
        "team": {"id": "T0TEST"},
        "user": {"id": user},
        "api_app_id": "A0APP",
        "channel": {"id": channel},
        "response_url": response_url,
        "trigger_id": "1.2.3",
        "container": {"type": "message", "is_ephemeral": True},
        "actions": [
            {"type": "button", "action_id": action_id, "block_id": "b", "value": value, "action_ts": str(time.time())}
        ],
    }
    return urlencode({"payload": json.dumps(payload)})


def payload_body(payload: dict[str, Any]) -> str:
    """An interactivity request (view_submission, block_suggestion...): the JSON `payload` field of a form."""
    return urlencode({"payload": json.dumps(payload)})


def send(
    app: App,
    body: str,
    secret: str = SIGNING_SECRET,
    timestamp: int | None = None,
    json_body: bool = False,
    signature: str | None = None,
) -> BoltResponse:
    headers = signed_headers(body, secret, timestamp)
    if json_body:
        headers["content-type"] = ["application/json"]
    if signature is not None:
        headers["x-slack-signature"] = [signature]
    return app.dispatch(BoltRequest(body=body, headers=headers))
