"""The AWS endpoint hangs, drops, errors and throttles, then comes back: each look-up says what happened, in time."""

from __future__ import annotations

import time

import pytest

from bot.core.config import load_settings
from bot.dispatch.run import dispatch
from bot.framework.context import Context
from bot.services import Services
from tests.support.ec2 import create_ami
from tests.support.slow_aws import SlowProxy

FAULTS = [
    ("hang", "I can't reach the EC2 endpoint"),
    ("drop", "I can't reach the EC2 endpoint"),
    (500, "Status500"),
    (503, "Status503"),
    ("throttle", "AWS is throttling requests"),
]
BOUND = 15.0  # seconds for one look-up's answer with 1 s timeouts, 2 attempts and botocore's backoff


@pytest.fixture
def faulty(aws_url, monkeypatch):
    monkeypatch.setenv("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")
    direct = Services(load_settings(AWS_ENDPOINT_URL=aws_url, IMAGEBOT_DEFAULT_REGION="us-east-1"))
    ami = create_ami(direct, "us-east-1", "web-base-2026.11.20")
    proxy = SlowProxy(aws_url, delay=0)
    proxy.hang_seconds = 5
    settings = load_settings(
        AWS_ENDPOINT_URL=proxy.url,
        IMAGEBOT_DEFAULT_REGION="us-east-1",
        IMAGEBOT_AWS_TIMEOUT_SECONDS="1",
        AWS_MAX_ATTEMPTS="2",
    )
    services = Services(settings)
    yield Context(settings, services, user_id="U0USER", channel_id="C0CHAN"), proxy, ami
    proxy.stop()
    services.close()
    direct.close()


def test_a_failing_aws_endpoint_is_explained_and_its_recovery_is_immediate(faulty, chaos):
    ctx, proxy, ami = faulty
    seen = []
    for fault, expected in FAULTS:
        proxy.fault = fault
        started = time.monotonic()
        reply = dispatch(ctx, f"/image ami status {ami}")
        took = time.monotonic() - started
        shown = reply.plain
        assert not reply.ok and expected in shown and "Something went wrong" not in shown, (fault, shown)
        assert took < BOUND, (fault, took)
        seen.append(f"{fault}: {took:.1f} s")
    proxy.fault = None
    mended = chaos.clock()
    reply = dispatch(ctx, f"/image ami status {ami}")
    assert reply.ok and ami in reply.plain
    chaos.record("AWS hung, dropped, 500, 503, throttled", "explained: " + ", ".join(seen), chaos.clock() - mended)
