"""Acks stay quick while 30 slow commands are in flight: the real `imagebot serve` over HTTP, with AWS 4 s slow.

`imagebot serve` runs as a subprocess (waitress on a free port) against the
Slack stand-in, Redis and moto's server behind a SlowProxy that delays every
AWS call by 4 s. Thirty signed `/image ami status <id>` requests are sent at
once, with signed `/image help` requests in between and after, while the slow
ones are still working. Every request is timed on its own, from just before
it is sent to its whole response read: each must be a 200 within 2.5 s (Slack
allows 3). Then every slow command's answer must reach its own response_url.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.error
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.core.config import load_settings
from bot.services import Services
from tests.conftest import BOT_TOKEN, free_port
from tests.support.ack_load import SLOW, ack_text, post, send_load, stop_app
from tests.support.ec2 import create_ami
from tests.support.knowledge import cache_the_index
from tests.support.signing import SIGNING_SECRET
from tests.support.slack_api import SlackStandIn
from tests.support.slow_aws import SlowProxy

REPO = Path(__file__).resolve().parents[3]
DELAY = 4.0  # seconds added to every AWS call; `ami status <id>` makes two
ACK_BOUND = 2.5  # seconds, per request; Slack gives up after 3
ANSWER_TIMEOUT = 45.0  # 30 commands x 2 calls x 4 s through 16 workers is two rounds, about 17 s


@pytest.fixture
def moto_url(monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> str:
    """moto without its default AMIs (set before `aws_url` resets moto), with fake credentials."""
    monkeypatch.setenv("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")
    return str(request.getfixturevalue("aws_url"))


@pytest.fixture
def slow_aws(moto_url: str) -> Iterator[SlowProxy]:
    """moto's server behind a proxy that sleeps DELAY seconds before every call."""
    proxy = SlowProxy(moto_url, DELAY)
    yield proxy
    proxy.stop()


@pytest.fixture
def ami_id(moto_url: str) -> str:
    """One AMI in us-east-1, made straight through moto (not the slow proxy)."""
    services = Services(load_settings(AWS_ENDPOINT_URL=moto_url, IMAGEBOT_DEFAULT_REGION="us-east-1"))
    try:
        return create_ami(services, "us-east-1", "web-base-2026.11.20", tags={"team": "web"})
    finally:
        services.close()


@pytest.fixture
def serve(redis_url: str, slow_aws: SlowProxy, slack_api: SlackStandIn, tmp_path: Path) -> Iterator[str]:
    """`imagebot serve` in a subprocess on a free port; yields its /slack/events URL once it answers."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "IMAGEBOT_", "AWS_"))}
    env.update(
        PYTHONPATH=str(REPO),
        PORT=str(port),
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=slack_api.url,
        REDIS_URL=redis_url,
        AWS_ENDPOINT_URL=slow_aws.url,
        AWS_ACCESS_KEY_ID=os.environ["AWS_ACCESS_KEY_ID"],  # as the aws_url fixture set them
        AWS_SECRET_ACCESS_KEY=os.environ["AWS_SECRET_ACCESS_KEY"],
        IMAGEBOT_DEFAULT_REGION="us-east-1",
    )
    log_path = tmp_path / "serve.log"
    cache_the_index()
    with log_path.open("wb") as log:  # a file, not a pipe: a full pipe would stall the server's logging
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "serve"], cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT
        )
        url = f"http://127.0.0.1:{port}/slack/events"
        try:
            _wait_until_answers(url, proc, slack_api, log_path)
            yield url
        finally:
            stop_app(proc)


def _wait_until_answers(url: str, proc: subprocess.Popen[bytes], slack_api: SlackStandIn, log_path: Path) -> None:
    """Poll with a signed `/image help` until it is answered with a 200."""
    deadline = time.monotonic() + 30
    while True:
        try:
            status, _ = post(url, "help", slack_api.response_url("warm-up"))
            if status == 200:
                return
        except (urllib.error.URLError, ConnectionError):
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"imagebot serve did not answer on {url}:\n{_tail(log_path)}", pytrace=False)
        time.sleep(0.1)


def _tail(path: Path, lines: int = 30) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def test_acks_stay_quick_with_30_slow_commands_in_flight(
    serve: str, slack_api: SlackStandIn, slow_aws: SlowProxy, ami_id: str
) -> None:
    """Every ack, slow or quick, is a 200 within 2.5 s of its send; every slow answer reaches its response_url."""
    slack_api.reset()  # forget the warm-up
    slow, helps = send_load(serve, slack_api, ami_id)

    everything = slow + helps
    late = [
        f"{s.name}: status {s.status} in {s.took:.2f} s {s.body[:80]!r}"
        for s in everything
        if s.status != 200 or s.took > ACK_BOUND
    ]
    worst = max(everything, key=lambda s: s.took)
    assert not late, f"{len(late)} of {len(everything)} requests not a 200 within {ACK_BOUND} s: {late}"
    for sent in helps:
        assert "`/image help`  List every subcommand" in ack_text(sent), sent.body[:200]
        assert "`/image ami status`  Show an AMI at a glance" in ack_text(sent)
        assert sent.answered_before == 0, f"{sent.name} went out after a slow answer: not while all were in flight"
    for sent in slow:
        assert "Working on `/image ami status`" in ack_text(sent), sent.body[:200]

    calls = slack_api.wait_for("response_url", count=SLOW, timeout=ANSWER_TIMEOUT)
    by_path = {}
    for call in calls:
        assert call.path not in by_path, f"two answers to {call.path}"
        by_path[call.path] = call
    assert set(by_path) == {f"/response/{s.name}" for s in slow}
    for path, call in by_path.items():
        assert ami_id in call.body["text"], f"{path}: {call.body['text'][:200]}"
        assert call.body["replace_original"] is False
    assert slow_aws.forwarded >= 2 * SLOW, "the slow commands did not go through the slow AWS endpoint"
    print(f"slowest ack {worst.took:.3f} s ({worst.name}); {len(everything)} requests; {slow_aws.forwarded} AWS calls")
