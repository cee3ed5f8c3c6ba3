"""The reaper: fails jobs whose worker died, from any process, on a schedule.

RQ's StartedJobRegistry holds a lease per running job that the worker renews
every IMAGEBOT_JOB_HEARTBEAT_SECONDS; a lease runs out 60 s after the last
renewal. RQ's own clean-up runs only inside live workers (every ten minutes),
so with the only worker gone nobody would notice: every worker and every Slack
process runs `reap` every IMAGEBOT_JOB_REAPER_SECONDS. RQ then calls the job's
failure callback (an AbandonedJobError), which fails the record and tells its
thread. Several reapers at once are safe: a record is failed once.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from rq.registry import StartedJobRegistry
from rq.timeouts import TimerDeathPenalty

from bot.core.config import Settings
from bot.jobs.queue import QUEUE
from bot.services import Services
from bot.worker.runtime import Runtime, bound

log = logging.getLogger(__name__)

RQ_LEASE_GRACE = 60  # RQ adds this to the heartbeat interval for a running job's lease


def started_registry(rt: Runtime) -> StartedJobRegistry:
    # a timer, not SIGALRM, bounds the callbacks: reapers run in threads
    return StartedJobRegistry(QUEUE, connection=rt.services.redis, death_penalty_class=TimerDeathPenalty)


def reap(rt: Runtime, now: float | None = None) -> list[str]:
    """Fail the jobs whose lease ran out by `now` (default: the current time); returns their ids."""
    registry = started_registry(rt)
    expired = registry.get_expired_job_ids(now)
    if not expired:
        return []
    with bound(rt):
        registry.cleanup(timestamp=now)
    for job_id in expired:
        log.warning("reaped a job whose worker stopped", extra={"job": job_id})
    return expired


class Reaper(threading.Thread):
    """Runs `reap` (and any other upkeep given) every `interval` seconds until stopped; never dies of an error."""

    def __init__(self, rt: Runtime, interval: float | None = None, also: tuple[Callable[[], Any], ...] = ()) -> None:
        super().__init__(name="imagebot-reaper", daemon=True)
        self.rt = rt
        self.interval = interval or rt.settings.job_reaper_seconds
        self.also = also
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(self.interval):
            self.tick()

    def tick(self) -> None:
        for task in (lambda: reap(self.rt), *self.also):
            try:
                task()
            except Exception:  # a background loop: log and go on, as RQ's worker loop does
                log.exception("reaper task failed; trying again next round")


def start_reaper(settings: Settings, services: Services) -> Reaper:
    """A reaper thread for processes that are not workers (the Slack processes)."""
    reaper = Reaper(Runtime(settings, services))
    reaper.start()
    return reaper
