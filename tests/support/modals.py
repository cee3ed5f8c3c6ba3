"""Modal payloads as Slack sends them: a view's submission and its external select's options request."""

from __future__ import annotations

from typing import Any

from tests.support.signing import payload_body


def selected(value: str) -> dict[str, Any]:
    return {"type": "static_select", "selected_option": {"value": value, "text": {"type": "plain_text", "text": value}}}


def multi(values: list[str]) -> dict[str, Any]:
    return {"type": "multi_static_select", "selected_options": [{"value": v} for v in values]}


def typed(value: str) -> dict[str, Any]:
    return {"type": "plain_text_input", "value": value}


def state(**blocks: dict[str, Any]) -> dict[str, Any]:
    """`state.values`: block_id -> {action_id: element state}; the AMI select's action_id is its own."""
    action = {"ami": "imagebot.form.ami"}
    return {"values": {b: {action.get(b, "value"): element} for b, element in blocks.items()}}


def view_of(opened: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """The view `views.open` was given, as Slack hands it back: with an id, the person's state and its metadata."""
    return {**opened, "id": "V0VIEW", "state": values}


def submission_body(view: dict[str, Any], user: str = "U0USER") -> str:
    return payload_body(
        {
            "type": "view_submission",
            "team": {"id": "T0TEST"},
            "user": {"id": user},
            "api_app_id": "A0APP",
            "trigger_id": "4.5.6",
            "view": view,
        }
    )


def suggestion_body(view: dict[str, Any], value: str, user: str = "U0USER") -> str:
    return payload_body(
        {
            "type": "block_suggestion",
            "team": {"id": "T0TEST"},
            "user": {"id": user},
            "api_app_id": "A0APP",
            "action_id": "imagebot.form.ami",
            "block_id": "ami",
            "value": value,
            "container": {"type": "view", "view_id": "V0VIEW"},
            "view": view,
        }
    )
