"""The RQ job function and callbacks: run the record's job kind once, and record how it ended.

RQ decides when work runs, retries and times out; these keep the user-facing
record in step and tell the transport. Every ending goes through `finish`,
which moves a running record once (whoever gets there first wins).
"""

from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any

import botocore.exceptions
import redis
from rq.exceptions import AbandonedJobError
from rq.job import Job
from rq.timeouts import JobTimeoutException

from bot.aws.errors import is_transient_code
from bot.core.errors import CommandError, Unavailable
from bot.framework.context import Context
from bot.framework.job_kind import KINDS, JobKind
from bot.jobs.errors import JobCanceled, TransientJobError
from bot.jobs.progress import Progress
from bot.jobs.record import CANCELED, FAILED, QUEUED, RUNNING, SUCCEEDED, WORKER_DIED, JobRecord
from bot.jobs.store import STORE_ERRORS, JobStore
from bot.worker.monitor import Monitor
from bot.worker.runtime import Runtime, runtime

log = logging.getLogger(__name__)

STORE_PATIENCE = 300.0  # seconds a work horse waits for Redis to record a finished job

TRANSIENT_ERRORS = (
    ConnectionError,
    TimeoutError,
    redis.ConnectionError,
    redis.TimeoutError,
    botocore.exceptions.ConnectionError,
)


def is_transient(exc: BaseException) -> bool:
    """What may pass by itself is retried: errors that say so (`.transient`), throttling, dropped connections."""
    if isinstance(exc, CommandError):
        return exc.transient
    if isinstance(exc, botocore.exceptions.ClientError):  # a call outside `aws_errors`: the same one list of codes
        return is_transient_code(exc)
    return isinstance(exc, TRANSIENT_ERRORS)


def execute_job(job_id: str) -> str:
    """The RQ job function: run the record's job kind and report how it ended."""
    rt = runtime()
    record = begin(rt.store, job_id)
    if record is None:
        return "skipped"
    kind = KINDS.get(record.kind)
    if kind is None:
        raise CommandError(f"this worker does not know the job kind {record.kind!r} (see IMAGEBOT_JOB_MODULES)")
    check_needs(rt, kind, record)
    ctx = Context(rt.settings, rt.services, record.user_id, record.channel, record.transport)
    monitor = Monitor(rt, record)
    monitor.start()
    try:
        result = kind.func(ctx, Progress(rt.store, record, on_change=monitor.poke), record.args)
    except JobCanceled as exc:
        monitor.stop()
        stage = f"canceled by {exc}"
        until_stored(lambda: finish(rt, job_id, CANCELED, stage=stage))
        return CANCELED
    finally:
        monitor.stop()
    fields = [list(pair) for pair in result.fields]
    until_stored(
        lambda: finish(rt, job_id, SUCCEEDED, fraction=1.0, stage="done", summary=result.summary, result_fields=fields)
    )
    return SUCCEEDED


def check_needs(rt: Runtime, kind: JobKind, record: JobRecord) -> None:
    """The kind's services, before each attempt: gone at the first gets one retry; still gone, the job fails."""
    try:
        rt.services.ensure(kind.needs)
    except Unavailable as exc:
        if record.attempts > 1:
            raise  # still gone at the retry: fail now, in one line, instead of retrying for minutes
        raise TransientJobError(exc.message) from None  # a blip (an engine restarting) gets the back-off


def until_stored(write: Callable[[], object], give_up_after: float = STORE_PATIENCE) -> None:
    """Write a job's ending, waiting out a Redis outage (with backoff) so work that is done is recorded as done."""
    deadline = time.monotonic() + give_up_after
    pause = 0.5
    while True:
        try:
            write()
            return
        except STORE_ERRORS as exc:
            if time.monotonic() + pause > deadline:
                raise
            log.warning("cannot record how a job ended: Redis does not answer; retrying", extra={"error": str(exc)})
            time.sleep(pause)
            pause = min(pause * 2, 10.0)


def begin(store: JobStore, job_id: str) -> JobRecord | None:
    """Mark a queued job running; None if it must not run (canceled, or already run)."""
    here = {"worker": socket.gethostname(), "pid": os.getpid()}
    record = store.transition(job_id, (QUEUED,), RUNNING, started_at=time.time(), stage="starting", **here)
    if record is None:
        log.info("job not started: it is not queued any more", extra={"job": job_id})
        return None
    store.set_fields(job_id, attempts=record.attempts + 1)
    record.attempts += 1
    return record


def finish(
    rt: Runtime, job_id: str, status: str, *, allowed_from: tuple[str, ...] = (RUNNING,), **values: Any
) -> JobRecord | None:
    """End a running job once and tell the transport; None when it had already ended."""
    for name in ("error", "stage", "summary"):  # what users see: scrubbed like the logs
        if isinstance(values.get(name), str):
            values[name] = rt.services.scrub(values[name])
    if "result_fields" in values:
        values["result_fields"] = [[rt.services.scrub(str(v)) for v in pair] for pair in values["result_fields"]]
    record = rt.store.transition(job_id, allowed_from, status, **values)
    if record is not None:
        rt.store.release_dedupe(record)
        rt.store.count_ended(record)
        rt.services.notifier.finished(rt.store, record)
    return record


def on_job_failure(
    job: Job, connection: Any, exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None
) -> None:
    """RQ's failure callback (also for jobs RQ finds abandoned): retry what is transient, fail the rest."""
    rt = runtime()
    if is_transient(exc) and job.retries_left:
        _requeue_for_retry(rt, job, exc)
        return
    job.retries_left = 0  # a permanent failure is not retried
    # an abandoned job's worker may have died before the record said running
    started = (QUEUED, RUNNING) if isinstance(exc, AbandonedJobError) else (RUNNING,)
    finish(rt, job.id, FAILED, allowed_from=started, error=describe_failure(exc, job))


def on_job_stopped(job: Job, connection: Any) -> None:
    """RQ's stopped callback: the work horse was stopped because someone canceled the job."""
    rt = runtime()
    record = rt.store.get(job.id)
    by = record.cancel_requested_by if record and record.cancel_requested_by else "request"
    finish(rt, job.id, CANCELED, stage=f"canceled by {by}")


def on_horse_killed(job: Job, retpid: int, ret_val: int, rusage: Any) -> None:
    """RQ's work-horse-killed handler: the process running the job died (OOM, a signal); not retried."""
    job.retries_left = 0
    if os.WIFSIGNALED(ret_val):
        how = f"signal {os.WTERMSIG(ret_val)}"
    else:
        how = f"exit status {os.waitstatus_to_exitcode(ret_val)}"
    error = f"{WORKER_DIED} (its process ended with {how})"
    finish(runtime(), job.id, FAILED, allowed_from=(QUEUED, RUNNING), error=error)  # it may have died very early


def _requeue_for_retry(rt: Runtime, job: Job, exc: BaseException) -> None:
    delay = job.get_retry_interval() if job.retry_intervals else 0
    said = exc.message if isinstance(exc, CommandError) else "a dropped connection"
    stage = rt.services.scrub(f"retrying in {delay}s after: {said}")
    record = rt.store.transition(job.id, (RUNNING,), QUEUED, stage=stage)
    if record is not None:
        rt.services.notifier.progressed(rt.store, record)


def describe_failure(exc: BaseException, job: Job) -> str:
    if isinstance(exc, AbandonedJobError):
        return WORKER_DIED
    if isinstance(exc, JobTimeoutException):
        return f"it ran longer than its {job.timeout} s limit and was stopped"
    if isinstance(exc, CommandError | TransientJobError):
        return str(exc)  # already said for a person
    log.error("a job failed on an unexpected error", exc_info=exc, extra={"job": job.id})
    return "it stopped on an unexpected error; the worker's log has the details (search for the job id)"
