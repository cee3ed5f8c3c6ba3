"""The pool slow Slack work runs in, apart from Bolt's listener threads, so acks never wait behind it."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

log = logging.getLogger(__name__)


class WorkPool:
    """Runs work after the ack; counts what is in flight so a shutdown can wait for it."""

    def __init__(self, workers: int) -> None:
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="slack-work")
        self._lock = threading.Condition()
        self._in_flight = 0

    def submit(self, work: Callable[[], None]) -> None:
        with self._lock:
            self._in_flight += 1
        self._executor.submit(self._run, work)

    def _run(self, work: Callable[[], None]) -> None:
        try:
            work()
        except Exception:  # the reply path failed (Slack unreachable, say): log it, keep the pool
            log.exception("Slack work failed after its ack")
        finally:
            with self._lock:
                self._in_flight -= 1
                self._lock.notify_all()

    @property
    def in_flight(self) -> int:
        with self._lock:
            return self._in_flight

    def drain(self, timeout: float) -> bool:
        """Wait until nothing is in flight (True) or `timeout` seconds passed (False)."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while self._in_flight:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._lock.wait(left)
        return True
