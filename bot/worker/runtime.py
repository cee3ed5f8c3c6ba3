"""The settings and services jobs run with in this process: set by whoever starts the worker or the reaper."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from bot.core.config import Settings
from bot.jobs.store import JobStore
from bot.services import Services


@dataclass(frozen=True)
class Runtime:
    settings: Settings
    services: Services

    @property
    def store(self) -> JobStore:
        return self.services.jobs


_process: Runtime | None = None  # set before RQ forks work horses, which inherit it
_thread = threading.local()  # an in-process worker's or a reaper's own runtime


def configure(settings: Settings, services: Services) -> Runtime:
    """Set the runtime for this process (`imagebot worker` does, before it forks work horses)."""
    global _process
    _process = Runtime(settings, services)
    return _process


@contextmanager
def bound(rt: Runtime) -> Iterator[Runtime]:
    """Run RQ callbacks in this thread with `rt` (a reaper, the sandbox's worker thread)."""
    previous = getattr(_thread, "rt", None)
    _thread.rt = rt
    try:
        yield rt
    finally:
        _thread.rt = previous


def runtime() -> Runtime:
    own: Runtime | None = getattr(_thread, "rt", None)
    if own is not None:
        return own
    if _process is None:
        raise RuntimeError("imagebot jobs run in `imagebot worker` (or the sandbox), not in a plain `rq worker`")
    return _process
