"""The pool slow Slack work runs in, apart from Bolt's listener threads, so acks never wait behind it.

It counts what is in flight so a shutdown can wait for it, and tells the
person whose answer could not be finished in time instead of leaving them
waiting.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

log = logging.getLogger(__name__)

Callback = Callable[[], object]


class WorkPool:
    """Runs work after the ack; `drain` waits for it, `interrupt_pending` says sorry for what is left."""

    def __init__(self, workers: int) -> None:
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="slack-work")
        self._lock = threading.Condition()
        self._pending: dict[int, Callback | None] = {}
        self._ids = itertools.count()

    def submit(self, work: Callback, interrupted: Callback | None = None) -> None:
        """Run `work` soon; `interrupted` tells the person when a shutdown stops it first."""
        with self._lock:
            token = next(self._ids)
            self._pending[token] = interrupted
        self._executor.submit(self._run, token, work)

    def _run(self, token: int, work: Callback) -> None:
        try:
            work()
        except Exception:  # the reply path failed (Slack unreachable, say): log it, keep the pool
            log.exception("Slack work failed after its ack")
        finally:
            with self._lock:
                self._pending.pop(token, None)
                self._lock.notify_all()

    @property
    def in_flight(self) -> int:
        with self._lock:
            return len(self._pending)

    def drain(self, timeout: float) -> bool:
        """Wait until nothing is in flight (True) or `timeout` seconds passed (False)."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while self._pending:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._lock.wait(left)
        return True

    def interrupt_pending(self) -> int:
        """Tell everyone whose work has not finished; returns how many were told."""
        with self._lock:
            callbacks = [cb for cb in self._pending.values() if cb is not None]
            self._pending.clear()
        for callback in callbacks:
            try:
                callback()
            except Exception:  # best effort while stopping: log and tell the next one
                log.exception("could not tell a user their answer was interrupted")
        return len(callbacks)
