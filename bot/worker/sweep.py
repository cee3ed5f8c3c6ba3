"""The expiry sweep on the workers: one chain of RQ jobs, each scheduling the next with `enqueue_in`.

RQ's scheduler (every `imagebot worker` runs `work(with_scheduler=True)`)
moves a scheduled sweep onto the queue when it is due; a worker runs it like
any job. CHAIN_KEY holds the id of the chain's next sweep, so several workers
keep exactly one chain:
- each worker, at start and on every reaper round, starts a chain only when
  CHAIN_KEY is absent (SET NX): one wins, the others see the key;
- a sweep runs only while CHAIN_KEY names it, and hands the key to the sweep
  it schedules (compare and set), so a stray copy stops instead of forking;
- the key lives a sweep interval plus CHAIN_GRACE_SECONDS, renewed by each
  sweep: a chain broken by a killed worker is started again once it lapses.
What one sweep does is handlers.expiry (its own lock keeps two sweeps from
acting at once).
"""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta

from rq import get_current_job

from bot.framework.context import Context
from bot.jobs.queue import queue_for
from bot.worker.runtime import Runtime, runtime
from handlers.expiry import sweep

log = logging.getLogger(__name__)

CHAIN_KEY = "imagebot:expiry:chain"
SWEEP_FUNCTION = "bot.worker.sweep.sweep_job"
CHAIN_GRACE_SECONDS = 600  # the scheduler's delay, a queue behind long jobs, the sweep's own run
HAND_OVER = (
    "if redis.call('get', KEYS[1]) == ARGV[1] then "
    "redis.call('set', KEYS[1], ARGV[2], 'EX', ARGV[3]) return 1 end return 0"
)


def chain_seconds(rt: Runtime) -> int:
    return rt.settings.expiry_sweep_seconds + CHAIN_GRACE_SECONDS


def ensure_chain(rt: Runtime) -> str | None:
    """Start the chain when none runs (IMAGEBOT_EXPIRY_SWEEP_SECONDS=0: never); the new sweep's id, else None."""
    if not rt.settings.expiry_sweep_seconds:
        return None
    job_id = _new_id()
    if not rt.services.redis.set(CHAIN_KEY, job_id, nx=True, ex=chain_seconds(rt)):
        return None
    _schedule(rt, job_id, 0)
    log.info("expiry sweep chain started", extra={"job": job_id})
    return job_id


def sweep_job() -> str:
    """The RQ job function: one sweep when this job is the chain's, then the next one scheduled."""
    rt = runtime()
    job = get_current_job()
    if job is None:
        raise RuntimeError("sweep_job runs as an RQ job (bot.worker.sweep.ensure_chain schedules it)")
    me = job.id
    if not _hand_over(rt, me, me):  # also renews the key for this sweep's run
        return "not the chain's sweep: stopped"
    try:
        ctx = Context(rt.settings, rt.services, user_id="imagebot", channel_id="expiry-sweep", transport="worker")
        return sweep(ctx).summary
    finally:
        _next(rt, me)


def _next(rt: Runtime, me: str) -> None:
    following = _new_id()
    if _hand_over(rt, me, following):
        _schedule(rt, following, rt.settings.expiry_sweep_seconds)


def _hand_over(rt: Runtime, holder: str, to: str) -> bool:
    return bool(rt.services.redis.eval(HAND_OVER, 1, CHAIN_KEY, holder, to, str(chain_seconds(rt))))


def _schedule(rt: Runtime, job_id: str, delay: int) -> None:
    queue = queue_for(rt.services.redis)
    options = {
        "job_id": job_id,
        "job_timeout": rt.settings.expiry_lock_seconds,  # RQ stops a sweep before its lock runs out
        "result_ttl": 600,
        "failure_ttl": 86400,
        "description": "expiry sweep",
    }
    if delay:
        queue.enqueue_in(timedelta(seconds=delay), SWEEP_FUNCTION, **options)
    else:
        queue.enqueue(SWEEP_FUNCTION, **options)


def _new_id() -> str:
    return f"expiry-sweep-{uuid.uuid4().hex[:12]}"
