"""`imagebot serve` over real HTTP: size limits and hostile requests, the probes and the metrics."""

from __future__ import annotations

import http.client
import time

import pytest

from tests.support.redis_server import RedisServer
from tests.support.serve import ServeProcess
from tests.support.signing import slash_command_body


@pytest.fixture
def serve(settings, tmp_path):
    process = ServeProcess(settings, tmp_path, IMAGEBOT_MAX_REQUEST_BYTES="65536")
    yield process
    process.stop()


def test_a_body_over_the_limit_is_refused_before_it_is_read(serve):
    conn = http.client.HTTPConnection("127.0.0.1", serve.port, timeout=5)
    conn.putrequest("POST", "/slack/events")
    conn.putheader("Content-Length", str(200 * 1024 * 1024))  # 200 MB announced; none of it is ever sent
    conn.putheader("Content-Type", "application/x-www-form-urlencoded")
    conn.endheaders()
    response = conn.getresponse()
    assert response.status == 413
    conn.close()
    assert serve.request("GET", "/healthz")[0] == 200  # and it is still serving


@pytest.mark.parametrize(
    "body, headers, status",
    [
        (b"token=verification-token&response_url=https%3A%2F%2Fhooks.slack.com%2Fsecret", {}, 401),  # unsigned
        (b"command=%2Fimage&text=help", {"X-Slack-Request-Timestamp": "soon", "X-Slack-Signature": "v0=00"}, 401),
    ],
)
def test_an_unsigned_or_badly_timed_request_is_refused_and_logged_without_its_body(serve, body, headers, status):
    form = {"Content-Type": "application/x-www-form-urlencoded", **headers}
    answered, text = serve.request("POST", "/slack/events", body, form)
    assert answered == status and "error" in text
    logged = serve.log.read_text()
    assert "refused a Slack request" in logged
    assert "verification-token" not in logged and "hooks.slack.com" not in logged and "Traceback" not in logged


@pytest.mark.parametrize(
    "body, content_type",
    [
        (b"\xff\xfe text=help", "application/x-www-form-urlencoded"),  # not UTF-8
        (b"payload=not-json", "application/x-www-form-urlencoded"),
        (b"payload=%5B1%2C2%5D", "application/x-www-form-urlencoded"),  # a JSON list, not an object
        (b"a=%ZZ&&=&", "application/x-www-form-urlencoded"),
        (b"[]", "application/json"),
        (b"{not json", "application/json"),
    ],
)
def test_a_malformed_body_gets_400_and_one_log_line_never_a_500(serve, body, content_type):
    status, _ = serve.post_signed(body, content_type)
    assert status == 400
    assert "Traceback" not in serve.log.read_text()
    assert sum("refused a Slack request" in line for line in serve.log_lines()) == 1


def test_a_good_request_still_gets_through_and_is_counted(serve, slack_api):
    status, text = serve.post_signed(slash_command_body("help", slack_api.response_url()).encode())
    assert status == 200 and "/image help" in text
    status, metrics = serve.request("GET", "/metrics")
    assert status == 200
    assert 'imagebot_commands_total{outcome="ok",subcommand="help"} 1.0' in metrics
    assert "imagebot_slack_ack_seconds_count 1.0" in metrics
    assert 'imagebot_queue_jobs{state="queued"} 0.0' in metrics


def test_anything_else_is_not_found(serve):
    assert serve.request("GET", "/")[0] == 404
    assert serve.request("GET", "/slack/events")[0] == 405


# --------------------------------------------------------------- readiness


def wait_for(check, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.1)
    raise AssertionError("timed out")


def test_readiness_follows_redis_and_liveness_does_not(settings, tmp_path):
    redis_server = RedisServer(tmp_path, persistent=False)
    serve = ServeProcess(settings.model_copy(update={"redis_url": redis_server.url}), tmp_path)
    try:
        wait_for(lambda: serve.request("GET", "/readyz")[0] == 200)
        redis_server.stop()
        status, text = serve.request("GET", "/readyz")
        assert status == 503 and f"127.0.0.1:{redis_server.port}" in text and "does not answer" in text
        assert serve.request("GET", "/healthz")[0] == 200
        redis_server.start()
        wait_for(lambda: serve.request("GET", "/readyz")[0] == 200)
    finally:
        serve.stop()
        redis_server.stop()
