"""SIGTERM: `imagebot serve` finishes or apologises for the answers in flight; a worker finishes its job."""

from __future__ import annotations

import signal
import time

import pytest

import tests.support.jobkinds  # noqa: F401  (the test.steps job kind)
from bot.core.config import load_settings
from bot.framework.starting import submit
from bot.services import Services
from tests.support.ec2 import create_ami
from tests.support.serve import ServeProcess
from tests.support.signing import slash_command_body
from tests.support.slow_aws import SlowProxy

STEPS = "test.steps"


@pytest.fixture
def ami(aws_url, monkeypatch):
    monkeypatch.setenv("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")
    services = Services(load_settings(AWS_ENDPOINT_URL=aws_url, IMAGEBOT_DEFAULT_REGION="us-east-1"))
    yield create_ami(services, "us-east-1", "web-base-2026.11.20")
    services.close()


def slow_serve(settings, tmp_path, delay: float, shutdown_seconds: float) -> tuple[ServeProcess, SlowProxy]:
    proxy = SlowProxy(settings.aws_endpoint_url, delay)
    serve = ServeProcess(
        settings, tmp_path, AWS_ENDPOINT_URL=proxy.url, IMAGEBOT_SHUTDOWN_SECONDS=str(shutdown_seconds)
    )
    return serve, proxy


def test_sigterm_lets_a_slow_answer_finish_then_exits(settings, slack_api, tmp_path, ami):
    serve, proxy = slow_serve(settings, tmp_path, delay=1.5, shutdown_seconds=30)
    try:
        body = slash_command_body(f"ami status {ami}", slack_api.response_url("slow")).encode()
        status, text = serve.post_signed(body)
        assert status == 200 and "Working on" in text
        serve.signal(signal.SIGTERM)
        assert serve.proc.wait(30) == 0
        answer = slack_api.wait_for("response_url")[0]
        assert answer.path == "/response/slow" and ami in answer.body["text"]
        assert "stopping: finishing the answers in flight" in serve.log.read_text()
    finally:
        serve.stop()
        proxy.stop()


def test_an_answer_that_cannot_finish_in_time_is_told_to_try_again(settings, slack_api, tmp_path, ami):
    serve, proxy = slow_serve(settings, tmp_path, delay=20, shutdown_seconds=0.5)
    try:
        status, _ = serve.post_signed(slash_command_body(f"ami status {ami}", slack_api.response_url("cut")).encode())
        assert status == 200
        serve.signal(signal.SIGTERM)
        assert serve.proc.wait(20) == 0
        told = slack_api.wait_for("response_url")[0].body
        assert "restarted before it finished" in told["text"] and f"ami status {ami}" in told["text"]
        assert "stopped before every answer was finished" in serve.log.read_text()
    finally:
        serve.stop()
        proxy.stop()


def wait_until(check, timeout=20.0):
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_a_worker_told_to_stop_finishes_its_job_first(ctx, services, start_worker):
    worker = start_worker()
    record, _ = submit(ctx, STEPS, {"steps": 8, "sleep": 0.3}, "a job that is running at SIGTERM")
    wait_until(lambda: (r := services.jobs.get(record.id)) is not None and r.status == "running")
    worker.proc.send_signal(signal.SIGTERM)  # RQ's warm shutdown: the job at hand is finished, then the worker exits
    assert worker.proc.wait(60) == 0
    final = services.jobs.get(record.id)
    assert final.status == "succeeded" and final.summary == "8 steps done"
