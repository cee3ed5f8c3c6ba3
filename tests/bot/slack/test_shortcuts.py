"""The "Ask imagebot about this" message shortcut through the real Bolt app, answered at the Web API stand-in."""

from __future__ import annotations

import json
import time
from urllib.parse import urlencode

from bot.core.text import MAX_INPUT
from tests.support.signing import send


def shortcut_body(text, response_url, ts="1700000000.000100", thread_ts=None, user="U0USER", channel="C0CHAN"):
    message = {"type": "message", "user": "U0AUTHOR", "ts": ts, "text": text}
    if thread_ts:
        message["thread_ts"] = thread_ts
    payload = {
        "type": "message_action",
        "callback_id": "imagebot.ask_about",
        "team": {"id": "T0TEST"},
        "user": {"id": user},
        "channel": {"id": channel},
        "api_app_id": "A0APP",
        "trigger_id": "1.2.3",
        "response_url": response_url,
        "message_ts": ts,
        "message": message,
        "action_ts": str(time.time()),
    }
    return urlencode({"payload": json.dumps(payload)})


def test_the_shortcut_answers_the_message_ephemerally_in_its_thread(app, slack_api):
    text = "<@U0BOT> can I turn a docker image into an AMI?"
    resp = send(app, shortcut_body(text, slack_api.response_url("sc")))
    assert resp.status == 200
    [call] = slack_api.wait_for("chat.postEphemeral")
    assert call.body["channel"] == "C0CHAN" and call.body["user"] == "U0USER"
    assert call.body["thread_ts"] == "1700000000.000100"
    header = call.body["blocks"][0]
    assert header["type"] == "header" and header["text"]["text"] == "Can I turn a Docker image into an AMI?"
    assert "Sources:" in call.body["text"]  # the knowledge base entry `/image ask` answers with


def test_a_reply_in_a_thread_is_answered_in_that_thread(app, slack_api):
    body = shortcut_body(
        "what is an AMI?", slack_api.response_url(), ts="1700000000.000300", thread_ts="1700000000.000200"
    )
    send(app, body)
    assert slack_api.wait_for("chat.postEphemeral")[0].body["thread_ts"] == "1700000000.000200"


def test_where_the_bot_cannot_post_it_answers_through_the_response_url(app, slack_api):
    slack_api.fail_next("chat.postEphemeral", error="not_in_channel")
    send(app, shortcut_body("what is an AMI?", slack_api.response_url("sc")))
    call = slack_api.wait_for("response_url")[0]
    assert call.path == "/response/sc" and call.body["response_type"] == "ephemeral"
    assert "Sources:" in call.body["text"]


def test_empty_long_and_foreign_messages_get_asks_own_replies(app, slack_api):
    send(app, shortcut_body("", slack_api.response_url()))
    send(app, shortcut_body("x" * (MAX_INPUT + 10), slack_api.response_url()))
    send(app, shortcut_body("¿Cómo convierto una imagen de Docker en una AMI?", slack_api.response_url()))
    texts = [c.body["text"] for c in slack_api.wait_for("chat.postEphemeral", count=3)]
    assert any("Ask me a question, like `/image ask what is an AMI?`" in t for t in texts)
    assert any(f"longer than {MAX_INPUT:,} characters" in t for t in texts)
    assert any("I answer questions in English only" in t for t in texts)


def test_the_manifest_declares_the_shortcut_and_the_home_tab(repo_root):
    import yaml

    from bot.slack.shortcuts import ASK_ABOUT

    manifest = yaml.safe_load((repo_root / "manifest.yml").read_text())
    [shortcut] = manifest["features"]["shortcuts"]
    assert shortcut["type"] == "message" and shortcut["callback_id"] == ASK_ABOUT and len(shortcut["name"]) <= 24
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True
    assert "app_home_opened" in manifest["settings"]["event_subscriptions"]["bot_events"]
    assert "commands" in manifest["oauth_config"]["scopes"]["bot"]  # what a message shortcut needs
