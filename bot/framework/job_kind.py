"""Job kinds: `@job_kind("pull", timeout=1800, retries=3, needs=(Need.DOCKER,))` registers a job function.

The function is `(ctx, progress, args) -> JobResult`. `needs` are the services
it cannot run without: checked before its record is created, and again at the
start of every attempt (a service still gone at a retry fails the job in one line).

A handler module defines its job kinds beside its commands; a worker has
them once it has imported the handler modules (see `bot.dispatch.registry`).
The table is filled at import time and only read afterwards.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot.core.command import PREFIX
from bot.core.errors import CommandError
from bot.core.needs import Need
from bot.framework.context import Context
from bot.jobs.progress import Progress
from bot.jobs.record import JobResult

if TYPE_CHECKING:  # RQ is imported when a job is enqueued (bot.jobs.queue), not with the commands that define kinds
    from rq import Retry

JobFunction = Callable[[Context, Progress, dict[str, Any]], JobResult]


@dataclass(frozen=True)
class JobKind:
    name: str
    func: JobFunction
    timeout: int = 600
    retries: int = 0
    backoff: tuple[int, ...] = (5, 30, 120)
    needs: tuple[Need, ...] = ()

    def retry(self) -> Retry | None:
        from rq import Retry

        return Retry(max=self.retries, interval=list(self.backoff)) if self.retries else None


KINDS: dict[str, JobKind] = {}


def job_kind(
    name: str,
    timeout: int = 600,
    retries: int = 0,
    backoff: tuple[int, ...] = (5, 30, 120),
    needs: tuple[Need, ...] = (),
) -> Callable[[JobFunction], JobFunction]:
    """Register `(ctx, progress, args) -> JobResult` as the job kind `name`."""

    def wrap(func: JobFunction) -> JobFunction:
        if name in KINDS and KINDS[name].func is not func:
            raise ValueError(f"job kind {name!r} registered twice")
        KINDS[name] = JobKind(name, func, timeout, retries, backoff, needs)
        return func

    return wrap


def kind_named(name: str) -> JobKind:
    if name not in KINDS:
        raise CommandError(f"There is no job kind `{name}`. `{PREFIX} help` lists the commands that start jobs.")
    return KINDS[name]
