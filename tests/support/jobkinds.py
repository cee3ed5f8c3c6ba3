"""Job kinds for the tests, imported by the test worker through IMAGEBOT_JOB_MODULES."""

from __future__ import annotations

import time
from typing import Any

from bot.core.errors import CommandError
from bot.core.needs import Need
from bot.framework.context import Context
from bot.framework.job_kind import job_kind
from bot.jobs.errors import TransientJobError
from bot.jobs.progress import Progress
from bot.jobs.record import JobResult


@job_kind("test.steps", timeout=60, retries=2, backoff=(1,))
def run_steps(ctx: Context, progress: Progress, args: dict[str, Any]) -> JobResult:
    """`steps` progress steps `sleep` seconds apart; fails transiently `transient` times, or for good with `fail`."""
    attempt = int(progress.store.redis.incr(f"imagebot:test:attempts:{progress.job_id}"))  # type: ignore[arg-type]
    if attempt <= int(args.get("transient", 0)):
        raise TransientJobError(f"throttled (attempt {attempt})")
    if args.get("fail"):
        raise CommandError(str(args["fail"]))
    steps = int(args.get("steps", 3))
    for step in range(steps):
        progress.update(step / steps, f"step {step + 1} of {steps}")
        time.sleep(float(args.get("sleep", 0.1)))
    return JobResult(f"{steps} steps done", fields=(("Steps", str(steps)),))


@job_kind("test.engine", timeout=60, retries=3, backoff=(1,), needs=(Need.DOCKER,))
def run_on_engine(ctx: Context, progress: Progress, args: dict[str, Any]) -> JobResult:
    """Asks the Docker engine for its version: a transient DockerError when the engine does not answer."""
    progress.update(0.5, "asking the engine")
    version = ctx.services.docker.client().version().get("Version", "?")
    return JobResult(f"the engine runs Docker {version}")
