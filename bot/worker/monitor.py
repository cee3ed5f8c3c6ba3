"""A thread beside a running job that pushes its progress to the transport, at most once a second.

RQ's worker keeps the job's lease in its StartedJobRegistry; this only shows progress.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from bot.jobs.record import RUNNING, JobRecord
from bot.worker.runtime import Runtime

log = logging.getLogger(__name__)

MIN_PUSH_SECONDS = 1.0


class Monitor:
    """Pushes the record to the notifier when progress moved, throttled; never stops the job."""

    def __init__(self, rt: Runtime, record: JobRecord, clock: Callable[[], float] = time.monotonic) -> None:
        self.store = rt.store
        self.notifier = rt.services.notifier
        self.job_id = record.id
        self._changed = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"job-{record.id}-monitor", daemon=True)
        self._clock = clock
        self._pushed_at: float | None = None
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
                self.push_if_due()
            except Exception:  # a background loop: log, carry on, never take the job down
                log.exception("job monitor could not push progress", extra={"job": self.job_id})
            self._changed.wait(MIN_PUSH_SECONDS)
            self._changed.clear()

    def push_if_due(self) -> bool:
        """One tick: push the record when progress moved and the last push is a second old; True if pushed."""
        now = self._clock()
        if not self._dirty or (self._pushed_at is not None and now - self._pushed_at < MIN_PUSH_SECONDS):
            return False
        record = self.store.get(self.job_id)
        if record is None or record.status != RUNNING or self._stop.is_set():
            return False
        self._dirty = False
        self._pushed_at = now
        self.notifier.progressed(self.store, record)
        return True
