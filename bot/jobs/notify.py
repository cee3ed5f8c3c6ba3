"""How a transport shows jobs and tells people things: the interface Services hold; Slack's lives with Slack."""

from __future__ import annotations

from typing import Protocol

from bot.core.reply import Reply
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

    def tell(self, user_id: str, reply: Reply) -> bool:
        """Send `reply` to the person directly (Slack: a DM from the bot); False when it could not be sent."""
        ...


class NoNotifier:
    """For transports that poll the record themselves (the shell, `imagebot run`)."""

    def started(self, record: JobRecord) -> str | None:
        return None

    def progressed(self, store: JobStore, record: JobRecord) -> None:
        return None

    def finished(self, store: JobStore, record: JobRecord) -> None:
        return None

    def tell(self, user_id: str, reply: Reply) -> bool:
        return False
