"""Worker processes: `imagebot worker` (RQ forks a work horse per job) and the sandbox's in-process worker."""

from __future__ import annotations

import importlib
import logging
import threading
import time
from typing import Any

import redis
from rq import Queue, SimpleWorker, Worker
from rq.job import Job
from rq.scheduler import RQScheduler
from rq.timeouts import TimerDeathPenalty
from rq.worker import BaseWorker

import bot.dispatch.registry  # noqa: F401  (imports every handler module, which registers its job kinds)
from bot.core.config import Settings
from bot.core.errors import CommandError
from bot.health import Health, serve_health
from bot.jobs.queue import QUEUE
from bot.services import Services
from bot.worker.execute import on_horse_killed
from bot.worker.reaper import Reaper
from bot.worker.runtime import Runtime, bound, configure
from bot.worker.sweep import ensure_chain

REDIS_DOWN = (redis.ConnectionError, redis.TimeoutError)
QUIET_LOG = logging.getLogger("imagebot.sandbox.worker")
QUIET_LOG.setLevel(logging.WARNING)


def log_expected_failure(worker: BaseWorker, job: Job, exc: BaseException | None) -> bool:
    """RQ logs every failed job's traceback; an expected failure (a CommandError) gets one INFO line instead."""
    if not isinstance(exc, CommandError):
        return False
    worker.log.info("Worker %s: job %s ended on an expected failure: %s", worker.name, job.id, exc.message)
    return True


def import_job_modules(settings: Settings) -> None:
    """Import the extra modules that register job kinds (IMAGEBOT_JOB_MODULES; the handlers are imported)."""
    for name in (m.strip() for m in settings.job_modules.split(",")):
        if name:
            importlib.import_module(name)


def run_worker(settings: Settings, services: Services) -> int:
    """Run an RQ worker on the imagebot queue until it is stopped (SIGTERM/Ctrl-C)."""
    rt = configure(settings, services)
    import_job_modules(settings)
    health = serve_health(settings, Health(settings, services))
    reaper = Reaper(rt, also=(lambda: ensure_chain(rt),))  # the expiry sweep chain, restarted if it lapsed
    reaper.start()
    start_sweeps(rt)
    worker = ResilientWorker(
        [Queue(QUEUE, connection=services.redis)],
        connection=services.redis,
        job_monitoring_interval=max(1, round(settings.job_heartbeat_seconds)),  # renews each running job's lease
        work_horse_killed_handler=on_horse_killed,
    )
    worker.work(with_scheduler=True)  # SIGTERM: RQ's warm shutdown finishes the job at hand, then returns
    reaper.stopped.set()
    if health is not None:
        health.close()
    return 0


def start_sweeps(rt: Runtime) -> None:
    """Start the expiry sweep chain now unless one runs; Redis down at start: the reaper's rounds start it later."""
    try:
        ensure_chain(rt)
    except REDIS_DOWN as exc:
        logging.getLogger(__name__).warning("cannot start the expiry sweeps yet: %s", exc)


class ResilientWorker(Worker):
    """RQ's forking worker, carrying on through a Redis outage of any length instead of quitting.

    RQ retries only its dequeue; a Redis error anywhere else in its loop (renewing a running job's lease,
    looking at the work horse that ended, the upkeep between jobs) makes it quit for good. Here those wait,
    with backoff, until Redis answers again. A job whose lease ran out meanwhile is reported by the reapers.
    """

    def handle_exception(self, job: Job, *exc_info: Any) -> None:
        if not log_expected_failure(self, job, exc_info[1]):
            super().handle_exception(job, *exc_info)

    def maintain_heartbeats(self, job: Job) -> None:
        try:
            super().maintain_heartbeats(job)
        except REDIS_DOWN as exc:  # the work horse keeps running; the lease is renewed once Redis is back
            self.log.warning("Worker %s: cannot renew the lease of job %s: %s", self.name, job.id, exc)

    def execute_job(self, job: Job, queue: Queue) -> None:
        try:
            super().execute_job(job, queue)
        except REDIS_DOWN as exc:
            self.log.warning("Worker %s: lost Redis around job %s: %s", self.name, job.id, exc)
            wait_for_redis(self.connection, self.log)

    def check_for_suspension(self, burst: bool) -> None:
        try:
            super().check_for_suspension(burst)
        except REDIS_DOWN:
            wait_for_redis(self.connection, self.log)

    def run_maintenance_tasks(self) -> None:
        try:
            super().run_maintenance_tasks()
        except REDIS_DOWN:
            wait_for_redis(self.connection, self.log)


def wait_for_redis(client: Any, log: Any, first: float = 1.0, longest: float = 30.0) -> None:
    """Block until Redis answers a PING, backing off from `first` to `longest` seconds between tries."""
    pause = first
    while True:
        try:
            client.ping()
            log.info("Redis answers again")
            return
        except REDIS_DOWN as exc:
            log.warning("Redis does not answer (%s); trying again in %.0f s", exc, pause)
            time.sleep(pause)
            pause = min(pause * 2, longest)


class ThreadWorker(SimpleWorker):
    """An RQ worker for a thread: jobs run in-process, timeouts by timer, no signal handlers."""

    death_penalty_class = TimerDeathPenalty

    def __init__(self, rt: Runtime, queues: list[Queue]) -> None:
        super().__init__(queues, connection=rt.services.redis)
        self.rt = rt
        self.log = QUIET_LOG  # the sandbox shell shares the terminal: only warnings

    def work(self, *args: Any, **kwargs: Any) -> bool:
        with bound(self.rt):
            return bool(super().work(*args, **kwargs))

    def handle_exception(self, job: Job, *exc_info: Any) -> None:
        if not log_expected_failure(self, job, exc_info[1]):
            super().handle_exception(job, *exc_info)

    def _install_signal_handlers(self) -> None:
        pass


def start_inprocess_worker(settings: Settings, services: Services) -> threading.Thread:
    """The sandbox's worker: a thread on the same (in-memory) connection, with reaper and retries."""
    rt = Runtime(settings, services)
    import_job_modules(settings)
    for name in ("rq.worker", "rq.job"):  # keep RQ from adding its own stdout handlers
        logging.getLogger(name).addHandler(logging.NullHandler())
    queue = Queue(QUEUE, connection=services.redis)
    scheduler = RQScheduler([queue], connection=services.redis)
    scheduler.prepare_registries([QUEUE])  # no scheduler process here: due retries are moved by the reaper thread
    Reaper(rt, interval=1.0, also=(scheduler.enqueue_scheduled_jobs,)).start()
    worker = ThreadWorker(rt, [queue])
    thread = threading.Thread(target=worker.work, name="imagebot-worker", daemon=True)
    thread.start()
    return thread
