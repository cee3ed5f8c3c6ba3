"""The RQ side of jobs: enqueue a record's work, and cancel it (dequeue, or stop the running work horse).

RQ imports the job function by name, so the names of the worker's entry
points are written here once.
"""

from __future__ import annotations

from contextlib import suppress
from typing import TYPE_CHECKING

from bot.jobs.record import CANCELED, QUEUED, JobRecord
from bot.jobs.store import JobStore

if TYPE_CHECKING:  # RQ is imported when a job is enqueued or canceled: other commands never load it
    import redis
    from rq import Queue, Retry
    from rq.job import Job

QUEUE = "imagebot"
JOB_FUNCTION = "bot.worker.execute.execute_job"
ON_FAILURE = "bot.worker.execute.on_job_failure"
ON_STOPPED = "bot.worker.execute.on_job_stopped"
RESULT_TTL = 3600


def queue_for(client: redis.Redis) -> Queue:
    from rq import Queue

    return Queue(QUEUE, connection=client)


def enqueue(store: JobStore, record: JobRecord, timeout: int, retry: Retry | None) -> Job:
    """Put the record's work on the queue (the RQ job id is the record id)."""
    from rq import Callback

    return queue_for(store.redis).enqueue(
        JOB_FUNCTION,
        record.id,
        job_id=record.id,
        job_timeout=timeout,
        retry=retry,
        on_failure=Callback(ON_FAILURE),
        on_stopped=Callback(ON_STOPPED),
        result_ttl=RESULT_TTL,
        failure_ttl=store.retention,
        description=f"{record.kind} {record.target}",
    )


def cancel(store: JobStore, record: JobRecord, by: str) -> JobRecord:
    """Cancel a queued job now; ask a running one to stop (its work horse is stopped by RQ)."""
    canceled = store.transition(record.id, (QUEUED,), CANCELED, stage=f"canceled by {by}")
    if canceled is not None:
        _drop_from_queue(store.redis, record.id)
        store.release_dedupe(canceled)
        store.count_ended(canceled)
        return canceled
    store.set_fields(record.id, cancel_requested_by=by)  # an in-process worker stops at the next progress step
    _stop_work_horse(store.redis, record.id)
    return store.find(record.id)


def _drop_from_queue(client: redis.Redis, job_id: str) -> None:
    from rq.exceptions import InvalidJobOperation, NoSuchJobError
    from rq.job import Job

    # already taken by a worker, or gone: the record's status keeps it from running anyway
    with suppress(NoSuchJobError, InvalidJobOperation):
        Job.fetch(job_id, connection=client).cancel()


def _stop_work_horse(client: redis.Redis, job_id: str) -> None:
    from rq.command import send_stop_job_command
    from rq.exceptions import InvalidJobOperation, NoSuchJobError

    # not started yet, or already ended: the cancel request on the record covers it
    with suppress(NoSuchJobError, InvalidJobOperation):
        send_stop_job_command(client, job_id)
