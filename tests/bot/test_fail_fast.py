"""Fail fast: with no Docker engine at DOCKER_HOST, every Docker command is one clear line, at once, and no job.

`imagebot run` runs as a real subprocess against the test Redis and moto's server, with DOCKER_HOST a
socket nobody listens on. What is asserted is what a user sees (one line, a non-zero exit) and what is
left behind (no job record in Redis); the time each took is recorded, not asserted.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis

import tests.support.jobkinds  # noqa: F401  (the test.engine kind in this process too)
from bot.framework.job_kind import KINDS
from bot.framework.starting import submit
from bot.jobs.record import FAILED
from bot.jobs.store import JobStore, key
from tests.support.ec2 import create_ami
from tests.support.worker import wait_done

REPO = Path(__file__).resolve().parents[2]
NOWHERE = "unix:///tmp/imagebot-nobody-listens/docker.sock"
LINE = f"The Docker engine is not reachable at `{NOWHERE}`. Start it, or set DOCKER_HOST."
INTERNALS = ("Traceback", "Error:", "Exception", 'File "')


def _run(text: str, settings, *extra: str) -> tuple[subprocess.CompletedProcess[str], float]:
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "REDIS_URL": settings.redis_url,
        "AWS_ENDPOINT_URL": settings.aws_endpoint_url,
        "IMAGEBOT_DEFAULT_REGION": settings.aws_region,
        "DOCKER_HOST": NOWHERE,
        "IMAGEBOT_POLICY_FILE": str(REPO / "policy.example.yml"),  # U_LOCAL may pull there
    }
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "run", text, *extra],
        env=env, cwd=REPO, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    return done, time.monotonic() - started


def _job_records(settings) -> int:
    client = redis.Redis.from_url(settings.redis_url)
    return len(list(client.scan_iter(key("job", "*"))))


@pytest.mark.parametrize(
    "command", ["pull nginx:1.27", "docker inspect nginx:1.27", "docker remote nginx:1.27", "compare"]
)
def test_a_docker_command_with_no_engine_is_one_line_a_failure_and_no_job(settings, command, monkeypatch, request):
    monkeypatch.setenv("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")
    if command == "compare":
        from bot.services import Services

        direct = Services(settings)
        command = f"compare {create_ami(direct, 'us-east-1', 'web-base-2026.11.20')} nginx:1.27"
        direct.close()
    before = _job_records(settings)
    done, took = _run(command, settings)
    shown = [line for line in (done.stdout + done.stderr).splitlines() if line.strip()]
    assert done.returncode != 0, done
    assert len(shown) == 1 and LINE in shown[0], shown
    assert not any(word in shown[0] for word in INTERNALS), shown
    assert _job_records(settings) == before == 0
    request.node.user_properties.append(("seconds", round(took, 2)))
    print(f"\n`imagebot run {command.split()[0]}`: {took:.2f} s for the whole process")


def test_a_job_whose_engine_is_gone_when_it_runs_is_retried_once_then_fails_in_one_line(
    ctx, settings, start_worker, monkeypatch
):
    """Accepted while the engine answered, gone when it runs: one retry after the back-off (1 s), then failed.

    The kind allows 3 retries; an engine that is still gone at the first retry ends the job there."""
    worker = start_worker(settings.model_copy(update={"docker_host": NOWHERE}))
    # this process accepts the job as if the engine answered (the worker's kind still needs it)
    monkeypatch.setitem(KINDS, "test.engine", dataclasses.replace(KINDS["test.engine"], needs=()))
    record, _ = submit(ctx, "test.engine", {}, "asking a gone engine")
    final = wait_done(JobStore(ctx.services.redis, ctx.settings), record.id, timeout=30)
    assert final.status == FAILED and final.attempts == 2, final
    assert final.error == LINE
    assert "Traceback" not in worker.log.read_text()
