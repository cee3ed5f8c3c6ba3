"""The forms in Socket Mode: the real `imagebot socket` opens the form, and the options request and the
submission's field errors come back in the envelopes' acks (no options URL: Slack sends them over the socket)."""

from __future__ import annotations

import json

import pytest

from bot.services import Services
from tests.bot.slack import test_socket_mode as socket_tests
from tests.bot.slack.test_socket_mode import WAIT, _bot_env, slash_command, start_bot
from tests.support.ec2 import create_ami

socket_mode = socket_tests.socket_mode  # the Socket Mode server fixture, shared with those tests

POLICY = """
roles:
  ops: {permissions: [launch]}
grants:
  users: {U0USER: [ops]}
guardrails:
  launch: {instance_types: ["t3.*"], regions: [us-east-1]}
"""


@pytest.fixture
def bot(settings, socket_mode, tmp_path):
    policy = tmp_path / "policy.yml"
    policy.write_text(POLICY)
    process = start_bot({**_bot_env(settings), "IMAGEBOT_POLICY_FILE": str(policy)}, socket_mode, tmp_path)
    yield process
    process.stop()
    print(f"--- imagebot socket (exit {process.proc.returncode}) ---\n{process.log()}")


def interactive(payload_type, view, **extra):
    base = {"type": payload_type, "team": {"id": "T0TEST"}, "user": {"id": "U0USER"}, "api_app_id": "A0TEST"}
    return {**base, "view": view, **extra}


def test_the_launch_form_over_the_socket(bot, socket_mode, slack_api, settings):
    services = Services(settings)
    ami = create_ami(services, "us-east-1", "web-base-1")
    services.close()
    ack = socket_mode.request(
        "slash_commands", slash_command("launch", slack_api.response_url("form")), WAIT, True, alive=bot.alive
    )
    assert not (ack.payload or {}).get("text")  # no message: the form opened instead
    view = {**slack_api.wait_for("views.open", timeout=WAIT)[0].body["view"], "id": "V0VIEW"}

    suggestion = interactive("block_suggestion", view, action_id="imagebot.form.ami", block_id="ami", value="web")
    options = socket_mode.request("interactive", suggestion, WAIT, True, alive=bot.alive).payload
    assert [o["value"] for o in options["options"]] == [ami]

    chosen = {"ami": {"imagebot.form.ami": {"selected_option": {"value": ami}}}}
    chosen["type"] = {"value": {"selected_option": {"value": "m5.large"}}}
    submission = interactive("view_submission", {**view, "state": {"values": chosen}})
    answer = socket_mode.request("interactive", submission, WAIT, True, alive=bot.alive).payload
    assert answer["response_action"] == "errors" and "m5.large is not allowed" in answer["errors"]["type"]
    assert json.loads(view["private_metadata"])["channel"] == "C0CHAN"
