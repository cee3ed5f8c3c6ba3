import json
import threading
import time

from tests.support.knowledge import cache_the_index
from tests.support.signing import action_body, dm_body, mention_body, send, slash_command_body


def test_signed_slash_command_is_answered_in_the_ack(app, slack_api):
    resp = send(app, slash_command_body("help", slack_api.response_url()))
    assert resp.status == 200
    body = json.loads(resp.body)
    assert body["response_type"] == "ephemeral"
    assert "/image help" in body["text"]
    assert body["blocks"][0]["type"] == "header"


def test_forged_signature_is_rejected(app, slack_api):
    resp = send(app, slash_command_body("help", slack_api.response_url()), signature="v0=" + "0" * 64)
    assert resp.status == 401


def test_wrong_secret_is_rejected(app, slack_api):
    resp = send(app, slash_command_body("help", slack_api.response_url()), secret="not-the-secret")
    assert resp.status == 401


def test_stale_timestamp_is_rejected(app, slack_api):
    resp = send(app, slash_command_body("help", slack_api.response_url()), timestamp=int(time.time()) - 60 * 10)
    assert resp.status == 401


def test_bad_command_gets_a_friendly_ephemeral_error(app, slack_api):
    resp = send(app, slash_command_body("hlep", slack_api.response_url()))
    body = json.loads(resp.body)
    assert resp.status == 200 and body["response_type"] == "ephemeral"
    assert "Did you mean `/image help`?" in body["text"]


def test_mention_is_answered_in_its_thread(app, slack_api):
    resp = send(app, mention_body("help", ts="1700000000.000200"), json_body=True)
    assert resp.status == 200
    call = slack_api.wait_for("chat.postMessage")[0]
    assert call.body["channel"] == "C0CHAN"
    assert call.body["thread_ts"] == "1700000000.000200"
    assert "/image help" in call.body["text"]


def test_direct_message_is_answered_in_the_dm(app, slack_api):
    send(app, dm_body("help", ts="1700000000.000300"), json_body=True)
    call = slack_api.wait_for("chat.postMessage")[0]
    assert call.body["channel"] == "D0DM"
    assert "thread_ts" not in call.body


def test_the_bots_own_messages_are_ignored(app, slack_api):
    send(app, dm_body("help", ts="1700000000.000400", bot_id="B0BOT"), json_body=True)
    time.sleep(0.3)
    assert slack_api.calls_to("chat.postMessage") == []


def test_a_rate_limited_post_is_retried_not_lost(app, slack_api):
    slack_api.fail_next("chat.postMessage", status=429, retry_after=1)
    send(app, mention_body("help", ts="1700000000.000500"), json_body=True)
    calls = slack_api.wait_for("chat.postMessage", count=2)
    assert calls[0].body == calls[1].body


def test_button_runs_its_command_through_response_url(app, slack_api):
    resp = send(app, action_body("imagebot.run", "/image help help", slack_api.response_url("btn")))
    assert resp.status == 200
    call = slack_api.wait_for("response_url")[0]
    assert call.path == "/response/btn"
    assert "Usage" in call.body["text"] and call.body["response_type"] == "ephemeral"


def test_share_button_posts_in_channel(app, slack_api):
    send(app, action_body("imagebot.share", "/image help", slack_api.response_url("share")))
    call = slack_api.wait_for("response_url")[0]
    assert call.body["response_type"] == "in_channel"


def test_slow_command_acks_at_once_and_answers_through_response_url(settings, services, slack_api):
    from bot.core.reply import Reply
    from bot.framework.subcommand import Registry, subcommand
    from bot.slack.app import build_app

    release, finished = threading.Event(), threading.Event()

    @subcommand("lookup", example="/image lookup", slow=True)
    def lookup(ctx, cmd):
        """A slow look-up: runs until the test lets it finish."""
        release.wait(30)
        finished.set()
        return Reply.message("looked it up")

    app = build_app(settings, services, Registry([lookup]))
    resp = send(app, slash_command_body("lookup", slack_api.response_url("slow")))
    assert not finished.is_set(), "the ack waited for the look-up"
    assert "Working on `/image lookup`" in json.loads(resp.body)["text"]
    release.set()
    call = slack_api.wait_for("response_url")[0]
    assert call.body["text"] == "looked it up" and call.body["replace_original"] is False


def test_imagebot_serve_answers_signed_requests_over_http(settings, slack_api):
    """The real HTTP mode: `imagebot serve` (waitress) on a port, signed request 200, unsigned 401."""
    import os
    import subprocess
    import sys
    import urllib.error
    import urllib.request

    from tests.conftest import BOT_TOKEN, free_port
    from tests.support.signing import SIGNING_SECRET, signed_headers

    port = free_port()
    env = {
        **os.environ,
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack_api.url,
        "PORT": str(port),
        "REDIS_URL": settings.redis_url,
    }
    cache_the_index()
    proc = subprocess.Popen([sys.executable, "-m", "bot.cli", "serve"], env=env, stderr=subprocess.PIPE)
    body = slash_command_body("help", slack_api.response_url()).encode()

    def post(headers):
        request = urllib.request.Request(f"http://127.0.0.1:{port}/slack/events", data=body, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()

    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                status, _ = post({"Content-Type": "application/x-www-form-urlencoded"})
                break
            except urllib.error.URLError:
                assert proc.poll() is None and time.monotonic() < deadline, "imagebot serve did not start"
                time.sleep(0.1)
        assert status == 401
        status, text = post({k: v[0] for k, v in signed_headers(body.decode()).items()})
        assert status == 200 and "/image help" in json.loads(text)["text"]
    finally:
        proc.terminate()
        proc.wait(10)


def test_a_redelivered_event_is_answered_once_across_processes(settings, slack_api):
    """Slack redelivers an event whose ack was slow (X-Slack-Retry-Num); a second process must not answer it."""
    from bot.services import Services
    from bot.slack.app import build_app
    from bot.slack.work import WorkPool

    pools = [WorkPool(1), WorkPool(1)]
    first, second = (build_app(settings, Services(settings), pool=pool) for pool in pools)  # two processes
    body = mention_body("help", ts="1700000000.000900")
    assert send(first, body, json_body=True).status == 200
    slack_api.wait_for("chat.postMessage")
    assert send(second, body, json_body=True).status == 200  # the retry lands on another process
    send(second, mention_body("help", ts="1700000000.001000"), json_body=True)  # a new event is answered
    slack_api.wait_for("chat.postMessage", count=2)
    assert all(pool.drain(20) for pool in pools)
    posts = slack_api.calls_to("chat.postMessage")
    assert sorted(p.body["thread_ts"] for p in posts) == ["1700000000.000900", "1700000000.001000"]
