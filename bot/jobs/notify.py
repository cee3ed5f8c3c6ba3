"""How a transport shows jobs: the interface Services hold; Slack's implementation lives with Slack."""

from __future__ import annotations

from typing import Protocol

from bot.jobs.record import JobRecord
from bot.jobs.store import JobStore


class JobNotifier(Protocol):
    """Shows a job where it was asked for: its message, updated in place, and its final word."""

    def started(self, record: JobRecord) -> str | None:
        """Show a new job; returns the id of the message later updates edit, if there is one."""
        ...

    def progressed(self, store: JobStore, record: JobRecord) -> None:
        """Show the record's current state (implementations throttle)."""
        ...

    def finished(self, store: JobStore, record: JobRecord) -> None:
        """Show how the job ended."""
        ...


class NoNotifier:
    """For transports that poll the record themselves (the shell, `imagebot run`)."""

    def started(self, record: JobRecord) -> str | None:
        return None

    def progressed(self, store: JobStore, record: JobRecord) -> None:
        return None

    def finished(self, store: JobStore, record: JobRecord) -> None:
        return None
