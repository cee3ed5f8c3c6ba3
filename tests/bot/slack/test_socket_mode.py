"""Socket Mode end to end: the real `imagebot socket` process against a local Socket Mode server.

The process gets its WebSocket URL from the Web API stand-in (`apps.connections.open`), receives envelopes over
the socket (tests/support/socket_mode.py), acks them there, and answers through the stand-in (chat.postMessage,
response_url). Redis and AWS (moto) are the test services. Every wait has a generous timeout and nothing is
asserted about how long anything took.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from bot.core.config import Settings
from tests.conftest import APP_TOKEN, BOT_TOKEN, free_port, unavailable
from tests.support.knowledge import cache_the_index
from tests.support.signing import event_callback as signed_event_callback
from tests.support.signing import slash_command_fields
from tests.support.slack_api import Call, SlackStandIn
from tests.support.slow_aws import SlowProxy

if TYPE_CHECKING:
    from tests.support.socket_mode import Ack, SocketModeServer

ROOT = Path(__file__).resolve().parents[3]
WAIT = 30.0  # seconds for anything the bot should do at once (a busy machine may be slow)
AMI = "ami-0123456789abcdef0"  # not in moto: the answer says it was not found
QUESTION = "what is an AMI?"
BURST = 16  # questions sent at once
FAILED = "Something went wrong on my side"  # the reply to an unexpected exception


# ------------------------------------------------------------------ fixtures

HEALTH_PORT = free_port()


@pytest.fixture
def socket_mode(slack_api: SlackStandIn) -> Iterator[SocketModeServer]:
    """Slack's Socket Mode endpoint; the stand-in's apps.connections.open hands out its URLs."""
    try:
        from tests.support.socket_mode import SocketModeServer
    except ImportError as exc:
        unavailable("the websockets library", f"{exc}; pip install websockets (./scripts/test does)")
    server = SocketModeServer(app_id="A0TEST")
    server.serve_through(slack_api)
    yield server
    server.stop()


@dataclass
class BotProcess:
    """A running `imagebot socket`, its output going to a file."""

    proc: subprocess.Popen[bytes]
    log_path: Path

    def alive(self) -> bool:
        return self.proc.poll() is None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        """Terminate, then kill when it does not go."""
        if self.alive():
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)


@pytest.fixture
def bot(settings: Settings, socket_mode: SocketModeServer, tmp_path: Path) -> Iterator[BotProcess]:
    """`python -m bot.cli socket`, connected once; stopped after the test, its log printed (shown on failure)."""
    process = start_bot(_bot_env(settings), socket_mode, tmp_path)
    try:
        yield process
    finally:
        process.stop()
        print(f"--- imagebot socket (exit {process.proc.returncode}) ---\n{process.log()}")


def start_bot(env: dict[str, str], socket_mode: SocketModeServer, tmp_path: Path) -> BotProcess:
    """Start `imagebot socket` and wait until it reads its first connection."""
    log_path = tmp_path / "imagebot-socket.log"
    cache_the_index()
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "socket"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    process = BotProcess(proc, log_path)
    try:
        socket_mode.wait_for_connection(1, WAIT, alive=process.alive)
        send_event(socket_mode, process, own_message())  # once acked, the app is reading this connection
    except BaseException:
        process.stop()
        raise
    return process


def _bot_env(settings: Settings) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if not name.startswith(("SLACK_", "IMAGEBOT_"))}
    env.update(
        PYTHONPATH=str(ROOT),
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_APP_TOKEN=APP_TOKEN,
        SLACK_API_URL=settings.slack_api_url,
        REDIS_URL=settings.redis_url,
        AWS_ENDPOINT_URL=settings.aws_endpoint_url or "",
        IMAGEBOT_DEFAULT_REGION=settings.aws_region,
        IMAGEBOT_HEALTH_PORT=str(HEALTH_PORT),
    )
    return env


def test_probes_and_metrics_answer_on_the_health_port(bot):
    """`imagebot socket` has no HTTP port of its own for Slack; its probes are on IMAGEBOT_HEALTH_PORT."""
    base = f"http://127.0.0.1:{HEALTH_PORT}"
    for probe in ("/healthz", "/readyz"):
        with urllib.request.urlopen(f"{base}{probe}", timeout=5) as response:
            assert response.status == 200
    with urllib.request.urlopen(f"{base}/metrics", timeout=5) as response:
        metrics = response.read().decode()
    assert "imagebot_slack_ack_seconds_count 1.0" in metrics  # the fixture's first envelope
    assert 'imagebot_queue_jobs{state="queued"}' in metrics


# ---------------------------------------------------------- Slack's payloads


def slash_command(text: str, response_url: str, user: str = "U0USER", channel: str = "C0CHAN") -> dict[str, Any]:
    """A slash command's payload as Socket Mode carries it: the form fields, as JSON."""
    return {**slash_command_fields(text, response_url, user, channel), "is_enterprise_install": "false"}


def event_callback(event: dict[str, Any]) -> dict[str, Any]:
    """An Events API payload around one event, as Socket Mode carries it."""
    return {**signed_event_callback(event), "is_ext_shared_channel": False}


def mention(text: str, ts: str) -> dict[str, Any]:
    event = {"type": "app_mention", "user": "U0USER", "channel": "C0CHAN", "ts": ts, "event_ts": ts}
    return event_callback({**event, "text": f"<@U0BOT> {text}"})


def direct_message(text: str, ts: str) -> dict[str, Any]:
    event = {"type": "message", "channel_type": "im", "user": "U0USER", "channel": "D0DM", "ts": ts, "event_ts": ts}
    return event_callback({**event, "text": text})


def own_message() -> dict[str, Any]:
    """The bot's own message in a DM, as message.im delivers it: ignored, but acked like every event."""
    event = {"type": "message", "channel_type": "im", "user": "U0BOT", "bot_id": "B0BOT", "channel": "D0DM"}
    return event_callback({**event, "text": "an earlier answer", "ts": "1700000000.000050"})


def button_click(action_id: str, value: str, response_url: str) -> dict[str, Any]:
    """A block_actions payload (interactive envelopes carry it as JSON, not form-encoded)."""
    return {
        "type": "block_actions",
        "team": {"id": "T0TEST", "domain": "test"},
        "user": {"id": "U0USER", "username": "someone", "team_id": "T0TEST"},
        "api_app_id": "A0TEST",
        "token": "legacy",
        "container": {"type": "message", "message_ts": "1700000000.000100", "is_ephemeral": True},
        "trigger_id": "1234.5678.abcdef",
        "channel": {"id": "C0CHAN", "name": "ops"},
        "response_url": response_url,
        "actions": [
            {
                "type": "button",
                "action_id": action_id,
                "block_id": "b",
                "value": value,
                "text": {"type": "plain_text", "text": "Open"},
                "action_ts": f"{time.time():.6f}",
            }
        ],
    }


def send_event(socket_mode: SocketModeServer, bot: BotProcess, payload: dict[str, Any]) -> Ack:
    """An events_api envelope, first delivery, as Slack sends it; returns its ack."""
    return socket_mode.request("events_api", payload, WAIT, alive=bot.alive, retry_attempt=0, retry_reason="")


def send_command(socket_mode: SocketModeServer, bot: BotProcess, text: str, response_url: str) -> Ack:
    """A slash_commands envelope (it accepts a response payload); returns its ack."""
    return socket_mode.request(
        "slash_commands", slash_command(text, response_url), WAIT, accepts_response_payload=True, alive=bot.alive
    )


def kb_title(question: str) -> str:
    """The title of the knowledge base's answer, so the test does not pin the wording."""
    from knowledge.answers import ask_json

    result = ask_json(question)
    assert result["matched"], f"the knowledge base has no answer for {question!r}"
    return str(result["title"])


def dev_questions(count: int) -> list[str]:
    """Real questions from the team's dev set (tests/knowledge/dev_questions.jsonl)."""
    lines = (ROOT / "tests" / "knowledge" / "dev_questions.jsonl").read_text().splitlines()
    return [json.loads(line)["q"] for line in lines if line.strip()][:count]


def header(call: Call, name: str) -> str | None:
    """A request header of a recorded call, whatever its case."""
    return next((v for k, v in call.headers.items() if k.lower() == name.lower()), None)


# --------------------------------------------------------------------- tests


def test_slash_command_is_acked_with_its_reply_in_the_payload(bot, socket_mode, slack_api):
    opened = slack_api.calls_to("apps.connections.open")
    assert len(opened) == 1
    app_token_used = header(opened[0], "Authorization") == f"Bearer {APP_TOKEN}"
    assert app_token_used, "apps.connections.open must carry the app-level token in the Authorization header"
    assert "token" not in opened[0].body, "the app-level token must not be sent as a POST parameter"

    ack = send_command(socket_mode, bot, "help", slack_api.response_url("help"))

    assert ack.connection == 1
    assert ack.payload is not None, "a slash command's ack should carry its reply"
    assert ack.payload["response_type"] == "ephemeral"
    assert "/image help" in ack.payload["text"]
    assert ack.payload["blocks"][0]["type"] == "header"
    assert slack_api.calls_to("response_url") == []


def test_slow_command_is_acked_at_once_and_answered_at_its_response_url(bot, socket_mode, slack_api):
    ack = send_command(socket_mode, bot, f"ami status {AMI}", slack_api.response_url("slow"))

    assert ack.payload is not None
    assert "Working on `/image ami status`" in ack.payload["text"]
    assert "not found" not in ack.payload["text"]
    call = slack_api.wait_for("response_url", timeout=WAIT)[0]
    assert call.path == "/response/slow"
    assert AMI in call.body["text"] and "not found" in call.body["text"]
    assert call.body["replace_original"] is False


def test_sigterm_finishes_the_answer_in_flight_then_exits(settings, socket_mode, slack_api, tmp_path):
    """A slow answer under way at SIGTERM still reaches its response_url; the process then exits 0."""
    proxy = SlowProxy(settings.aws_endpoint_url, 1.5)
    process = start_bot({**_bot_env(settings), "AWS_ENDPOINT_URL": proxy.url}, socket_mode, tmp_path)
    try:
        ack = send_command(socket_mode, process, f"ami status {AMI}", slack_api.response_url("late"))
        assert "Working on" in ack.payload["text"]
        process.proc.send_signal(signal.SIGTERM)
        assert process.proc.wait(WAIT) == 0
        call = slack_api.wait_for("response_url", timeout=WAIT)[0]
        assert call.path == "/response/late" and AMI in call.body["text"]
    finally:
        process.stop()
        proxy.stop()


def test_mention_and_dm_are_acked_and_answered_with_chat_post_message(bot, socket_mode, slack_api):
    title = kb_title(QUESTION)

    mention_ack = send_event(socket_mode, bot, mention(QUESTION, ts="1700000001.000100"))
    in_thread = slack_api.wait_for("chat.postMessage", timeout=WAIT)[0].body
    dm_ack = send_event(socket_mode, bot, direct_message(QUESTION, ts="1700000002.000200"))
    in_dm = slack_api.wait_for("chat.postMessage", 2, timeout=WAIT)[1].body

    assert mention_ack.payload is None and dm_ack.payload is None, "events are acked with the envelope id alone"
    assert in_thread["channel"] == "C0CHAN" and in_thread["thread_ts"] == "1700000001.000100"
    assert in_dm["channel"] == "D0DM" and "thread_ts" not in in_dm
    assert title in in_thread["text"] and title in in_dm["text"]


def test_questions_arriving_together_are_all_answered(bot, socket_mode, slack_api):
    """Slack delivers a burst of events on one connection at once; the bot answers them side by side."""
    questions = dev_questions(BURST)
    events = [mention(q, ts=f"1700000010.{n:06d}") for n, q in enumerate(questions)]

    envelope_ids = [socket_mode.send_envelope("events_api", e, retry_attempt=0, retry_reason="") for e in events]
    for envelope_id in envelope_ids:
        socket_mode.wait_for_ack(envelope_id, WAIT, alive=bot.alive)

    posts = [call.body for call in slack_api.wait_for("chat.postMessage", BURST, timeout=WAIT)]
    failed = [(questions[int(p["thread_ts"].split(".")[1])], p["text"]) for p in posts if FAILED in p["text"]]
    assert not failed, f"{len(failed)} of {BURST} questions asked at once got an error (see the log): {failed}"


def test_a_redelivered_event_is_acked_and_answered_once(bot, socket_mode, slack_api):
    """Slack redelivers an event whose ack it did not see in time (retry_attempt 1, the same event_id)."""
    event = mention(QUESTION, ts="1700000004.000400")
    send_event(socket_mode, bot, event)
    socket_mode.request("events_api", event, WAIT, alive=bot.alive, retry_attempt=1, retry_reason="timeout")
    send_event(socket_mode, bot, mention(QUESTION, ts="1700000004.000500"))  # a later event is still answered
    posts = slack_api.wait_for("chat.postMessage", 2, timeout=WAIT)
    assert sorted(p.body["thread_ts"] for p in posts) == ["1700000004.000400", "1700000004.000500"]


def test_button_click_is_acked_and_answered_at_its_response_url(bot, socket_mode, slack_api):
    title = kb_title("what types of AMIs are there")
    click = button_click("imagebot.run.0", "/image ask --id ami-types", slack_api.response_url("btn"))

    ack = socket_mode.request("interactive", click, WAIT, alive=bot.alive)

    assert ack.payload is None
    call = slack_api.wait_for("response_url", timeout=WAIT)[0]
    assert call.path == "/response/btn"
    assert call.body["response_type"] == "ephemeral"
    assert title in call.body["text"]


def test_refresh_requested_moves_to_a_new_connection_and_loses_nothing(bot, socket_mode, slack_api):
    first = socket_mode.disconnect("refresh_requested")

    second = socket_mode.wait_for_connection(2, WAIT, alive=bot.alive)
    assert len(slack_api.wait_for("apps.connections.open", 2, timeout=WAIT)) == 2
    assert second.ticket != first.ticket and socket_mode.refused == []
    socket_mode.wait_until_ended(first, WAIT)  # the app lets go of the old connection

    _assert_answers_on(socket_mode, bot, slack_api, second.number)


def test_dropped_connection_is_replaced_and_loses_nothing(bot, socket_mode, slack_api):
    """The TCP connection ends without a close frame (a dead network path or proxy): the bot dials again."""
    first = socket_mode.drop()

    try:
        second = socket_mode.wait_for_connection(2, WAIT, alive=bot.alive)
    except AssertionError as exc:
        why = "imagebot socket did not replace a connection that ended without a close frame"
        raise AssertionError(f"{why}: {exc}") from None
    assert first.ended.is_set()
    assert len(slack_api.wait_for("apps.connections.open", 2, timeout=WAIT)) == 2
    assert second.ticket != first.ticket and socket_mode.refused == []

    _assert_answers_on(socket_mode, bot, slack_api, second.number)


def _assert_answers_on(
    socket_mode: SocketModeServer, bot: BotProcess, slack_api: SlackStandIn, connection: int
) -> None:
    """A mention sent on the current connection is acked there and answered through chat.postMessage."""
    ack = send_event(socket_mode, bot, mention(QUESTION, ts="1700000003.000300"))
    assert ack.connection == connection
    post = slack_api.wait_for("chat.postMessage", timeout=WAIT)[0]
    assert post.body["thread_ts"] == "1700000003.000300"
    assert kb_title(QUESTION) in post.body["text"]
