"""The chaos suite: real processes and servers on loopback, broken on purpose and mended after each case.

Every case reports what the user saw and how long recovery took through the `chaos` fixture; the table
is printed at the end of the run.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import pytest

_results: list[Result] = []
_lock = threading.Lock()


@dataclass(frozen=True)
class Result:
    case: str
    outcome: str
    recovery: float | None  # seconds from the fault's end to the first good answer; None when not measured


class Chaos:
    """What one case reports: `chaos.record("Redis hung", "job store unavailable in 0.6 s", recovered_at - t0)`."""

    def record(self, case: str, outcome: str, recovery: float | None = None) -> None:
        with _lock:
            _results.append(Result(case, outcome, recovery))

    @staticmethod
    def clock() -> float:
        return time.monotonic()


@pytest.fixture
def chaos() -> Chaos:
    return Chaos()


def wait_until(check, timeout: float = 60.0, what: str = "the condition"):
    """The first true value of `check()`, polled; fails the case with `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if not _results:
        return
    width = max(len(r.case) for r in _results)
    terminalreporter.section("chaos suite: case → outcome → time to recovery")
    for r in _results:
        recovery = f"{r.recovery:6.1f} s" if r.recovery is not None else "      —"
        terminalreporter.write_line(f"{r.case.ljust(width)}  {recovery}  {r.outcome}")
