"""The worker side of jobs: run a job kind, keep its heartbeat, report, reap.

`imagebot worker` is an RQ worker on the `imagebot` queue (a forked work
horse per job, RQ's scheduler for retries with back-off) plus a reaper thread.
While a job runs, a monitor thread in the work horse refreshes its heartbeat
key and pushes progress to Slack at most once a second. The reaper (every
worker, every IMAGEBOT_JOB_REAPER_SECONDS; the Slack processes too) marks a
running job whose heartbeat expired as failed and says so in its thread.
"""

from __future__ import annotations

import importlib
import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any

import botocore.exceptions
import redis
from rq import Queue, SimpleWorker, Worker
from rq.job import Job
from rq.scheduler import RQScheduler
from rq.timeouts import JobTimeoutException, TimerDeathPenalty

from bot.errors import CommandError
from bot.jobs import (
    CANCELED,
    FAILED,
    KINDS,
    QUEUE,
    QUEUED,
    RUNNING,
    RUNNING_SET,
    SUCCEEDED,
    WORKER_DIED,
    JobCanceled,
    JobRecord,
    JobStore,
    Progress,
    TransientJobError,
)
from bot.notify import MIN_UPDATE_SECONDS, SlackNotifier

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.services import Services

log = logging.getLogger(__name__)

JOB_MODULES = ("handlers",)  # imported by every worker: the handler modules register their job kinds
THROTTLING_CODES = {
    "Throttling",
    "ThrottlingException",
    "RequestLimitExceeded",
    "TooManyRequestsException",
    "RequestThrottled",
    "SlowDown",
}
TRANSIENT_ERRORS = (
    TransientJobError,
    ConnectionError,
    TimeoutError,
    redis.ConnectionError,
    redis.TimeoutError,
    botocore.exceptions.ConnectionError,
)


@dataclass
class Runtime:
    settings: Settings
    services: Services

    @property
    def store(self) -> JobStore:
        return JobStore(self.services.redis, self.settings)


_runtime: Runtime | None = None
_thread_runtime = threading.local()  # an in-process worker's own runtime (the sandbox)


def configure(settings: Settings, services: Services) -> Runtime:
    """Set the settings and services jobs in this process run with (inherited by work horses)."""
    global _runtime
    _runtime = Runtime(settings, services)
    return _runtime


def runtime() -> Runtime:
    own: Runtime | None = getattr(_thread_runtime, "rt", None)
    if own is not None:
        return own
    if _runtime is None:  # a plain `rq worker` on our queue: read the environment
        from bot.config import load_settings
        from bot.services import Services

        settings = load_settings()
        return configure(settings, Services(settings))
    return _runtime


def import_job_modules(settings: Settings) -> None:
    """Import the modules that register job kinds: JOB_MODULES plus IMAGEBOT_JOB_MODULES."""
    extra = [m.strip() for m in settings.job_modules.split(",") if m.strip()]
    for name in (*JOB_MODULES, *extra):
        importlib.import_module(name)


def is_transient(exc: BaseException) -> bool:
    """Throttling and dropped connections are retried; everything else is permanent."""
    if isinstance(exc, botocore.exceptions.ClientError):
        return exc.response.get("Error", {}).get("Code") in THROTTLING_CODES
    return isinstance(exc, TRANSIENT_ERRORS)


# ----------------------------------------------------------------- running


class Monitor:
    """A thread beside a running job: heartbeat, and throttled Slack updates."""

    def __init__(self, rt: Runtime, record: JobRecord) -> None:
        self.store = rt.store
        self.job_id = record.id
        self.notifier = SlackNotifier(rt.settings)
        self.tick = min(MIN_UPDATE_SECONDS, rt.settings.job_heartbeat_seconds / 3)
        self._changed = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"job-{record.id}-monitor", daemon=True)
        self._pushed_at = 0.0
        self._dirty = True

    def start(self) -> None:
        self._thread.start()

    def poke(self) -> None:
        """Progress moved: push it now if the throttle allows, else at the next tick."""
        self._dirty = True
        self._changed.set()

    def stop(self) -> None:
        self._stop.set()
        self._changed.set()
        if self._thread.is_alive() and threading.current_thread() is not self._thread:
            self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.store.beat(self.job_id)
                self._push_if_due()
            except (redis.ConnectionError, redis.TimeoutError) as exc:
                log.warning("job monitor could not reach Redis", extra={"job": self.job_id, "error": str(exc)})
            self._changed.wait(self.tick)
            self._changed.clear()

    def _push_if_due(self) -> None:
        if not self._dirty or time.monotonic() - self._pushed_at < MIN_UPDATE_SECONDS:
            return
        record = self.store.get(self.job_id)
        if record is None or record.status != RUNNING or self._stop.is_set():
            return
        self._dirty = False
        self._pushed_at = time.monotonic()
        self.notifier.update(self.store, record)


def execute_job(job_id: str) -> str:
    """The RQ job function: run the record's job kind and report how it ended."""
    rt = runtime()
    record = begin(rt.store, job_id)
    if record is None:
        return "skipped"
    kind = KINDS.get(record.kind)
    if kind is None:
        raise CommandError(f"this worker does not know the job kind {record.kind!r} (see IMAGEBOT_JOB_MODULES)")
    monitor = Monitor(rt, record)
    monitor.start()
    try:
        result = kind.func(Progress(rt.store, record, rt.services, on_change=monitor.poke), record.args)
    except JobCanceled as exc:
        monitor.stop()
        finish(rt, job_id, CANCELED, stage=f"canceled by {exc}")
        return CANCELED
    finally:
        monitor.stop()
    finish(rt, job_id, SUCCEEDED, fraction=1.0, stage="done", summary=result.summary,
           result_fields=[list(pair) for pair in result.fields])
    return SUCCEEDED


def begin(store: JobStore, job_id: str) -> JobRecord | None:
    """Mark a queued job running (with its first heartbeat); None if it must not run."""
    record = store.transition(
        job_id,
        (QUEUED,),
        RUNNING,
        started_at=time.time(),
        stage="starting",
        worker=socket.gethostname(),
        pid=os.getpid(),
    )
    if record is None:
        log.info("job not started: it is not queued any more", extra={"job": job_id})
        return None
    store.set_fields(job_id, attempts=record.attempts + 1)
    record.attempts += 1
    return record


def finish(rt: Runtime, job_id: str, status: str, **values: Any) -> JobRecord | None:
    """End a job once (whoever gets there first wins) and tell its Slack thread."""
    record = rt.store.transition(job_id, (RUNNING,), status, **values)
    if record is not None:
        rt.store.release_dedupe(record)
        SlackNotifier(rt.settings).finish(rt.store, record)
    return record


def on_job_failure(
    job: Job, connection: Any, exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None
) -> None:
    """RQ's failure callback: transient errors go back to the queue, the rest fail the job."""
    rt = runtime()
    if is_transient(exc) and job.retries_left:
        _requeue_for_retry(rt, job, exc)
        return
    job.retries_left = 0  # a permanent failure is not retried
    finish(rt, job.id, FAILED, error=describe_failure(exc, job))


def _requeue_for_retry(rt: Runtime, job: Job, exc: BaseException) -> None:
    delay = job.get_retry_interval() if job.retry_intervals else 0
    record = rt.store.transition(job.id, (RUNNING,), QUEUED, stage=f"retrying in {delay}s after: {exc}")
    if record is not None:
        SlackNotifier(rt.settings).update(rt.store, record)


def describe_failure(exc: BaseException, job: Job) -> str:
    if isinstance(exc, JobTimeoutException):
        return f"it ran longer than its {job.timeout} s limit and was stopped"
    if isinstance(exc, CommandError):
        return exc.message
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


# ------------------------------------------------------------------ reaper


def reap(rt: Runtime) -> list[str]:
    """Fail running jobs whose heartbeat expired (their worker died); returns their ids."""
    store = rt.store
    ids = store.running_ids()
    reaped = []
    for job_id, alive in zip(ids, store.alive(ids), strict=True):
        if alive:
            continue
        if finish(rt, job_id, FAILED, error=WORKER_DIED) is not None:
            log.warning("reaped a job whose worker stopped", extra={"job": job_id})
            reaped.append(job_id)
        else:
            store.redis.srem(RUNNING_SET, job_id)  # it ended meanwhile, or its record expired
    return reaped


class Reaper(threading.Thread):
    """Runs `reap` (and any other upkeep given) every `interval` seconds until stopped."""

    def __init__(self, rt: Runtime, interval: float | None = None, also: tuple[Callable[[], Any], ...] = ()) -> None:
        super().__init__(name="imagebot-reaper", daemon=True)
        self.rt = rt
        self.interval = interval or rt.settings.job_reaper_seconds
        self.also = also
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(self.interval):
            try:
                reap(self.rt)
                for task in self.also:
                    task()
            except (redis.ConnectionError, redis.TimeoutError) as exc:
                log.warning("reaper could not reach Redis", extra={"error": str(exc)})


def start_reaper(settings: Settings, services: Services) -> Reaper:
    """A reaper thread for processes that are not workers (the Slack processes)."""
    reaper = Reaper(Runtime(settings, services))
    reaper.start()
    return reaper


# ------------------------------------------------------------------ workers


def run_worker(settings: Settings, services: Services) -> int:
    """Run an RQ worker on the imagebot queue until it is stopped (SIGTERM/Ctrl-C)."""
    rt = configure(settings, services)
    import_job_modules(settings)
    reaper = Reaper(rt)
    reaper.start()
    worker = Worker([Queue(QUEUE, connection=services.redis)], connection=services.redis)
    worker.work(with_scheduler=True)
    reaper.stopped.set()
    return 0


class ThreadWorker(SimpleWorker):
    """An RQ worker for a thread: jobs run in-process, timeouts by timer, no signal handlers."""

    death_penalty_class = TimerDeathPenalty

    def __init__(self, rt: Runtime, queues: list[Queue]) -> None:
        super().__init__(queues, connection=rt.services.redis)
        self.rt = rt
        self.log = QUIET_LOG  # the sandbox shell shares the terminal: only warnings

    def work(self, *args: Any, **kwargs: Any) -> bool:
        _thread_runtime.rt = self.rt
        return bool(super().work(*args, **kwargs))

    def _install_signal_handlers(self) -> None:
        pass


QUIET_LOG = logging.getLogger("imagebot.sandbox.worker")
QUIET_LOG.setLevel(logging.WARNING)


def start_inprocess_worker(settings: Settings, services: Services) -> threading.Thread:
    """The sandbox's worker: a thread on the same (fakeredis) connection, with reaper and retries."""
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
