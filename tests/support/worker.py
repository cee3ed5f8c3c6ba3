"""A real worker subprocess for tests: `python -m bot.cli worker` with the test job kinds."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import redis
from rq import Queue, Worker

from bot.jobs.queue import QUEUE
from bot.jobs.record import JobRecord
from bot.jobs.store import JobStore
from tests.conftest import BOT_TOKEN

REPO = Path(__file__).resolve().parents[2]


class WorkerProcess:
    """`python -m bot.cli worker` with the test job kinds and short heartbeat/reaper times."""

    def __init__(self, settings, tmp_path: Path, **extra_env: str) -> None:
        self.settings = settings
        self.log = tmp_path / f"worker-{time.monotonic_ns()}.log"
        env = {
            **os.environ,
            "PYTHONPATH": str(REPO),
            "REDIS_URL": settings.redis_url,
            "SLACK_API_URL": settings.slack_api_url,
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "IMAGEBOT_JOB_MODULES": "tests.support.jobkinds",
            "IMAGEBOT_JOB_HEARTBEAT_SECONDS": "2",
            "IMAGEBOT_JOB_REAPER_SECONDS": "1",
            "IMAGEBOT_EXPIRY_SWEEP_SECONDS": "0",  # no sweep jobs beside the test's own; the sweep tests turn it on
            # the same services the test talks to
            **{
                name: value
                for name, value in (
                    ("AWS_ENDPOINT_URL", settings.aws_endpoint_url),
                    ("DOCKER_HOST", settings.docker_host),
                    ("IMAGEBOT_POLICY_FILE", settings.policy_file),
                )
                if value
            },
            **extra_env,
        }
        client = redis.Redis.from_url(settings.redis_url)
        before = Worker.count(queue=Queue(QUEUE, connection=client))
        with self.log.open("w") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "bot.cli", "worker"], env=env, cwd=REPO, stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + 20
        while Worker.count(queue=Queue(QUEUE, connection=client)) <= before:
            assert self.proc.poll() is None, self.log.read_text()
            assert time.monotonic() < deadline, "the worker did not register:\n" + self.log.read_text()
            time.sleep(0.05)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


def wait_done(store: JobStore, job_id: str, timeout: float = 60.0) -> JobRecord:
    """The job's record once it reached a final state; fails the test when it does not in time."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        record = store.get(job_id)
        if record and record.done:
            return record
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} did not finish: {store.get(job_id)}")
