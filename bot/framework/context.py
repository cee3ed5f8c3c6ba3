"""The Context a handler gets: who is asking, from where, the services and the subcommand registry."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from bot.access.audit import AuditEntry
from bot.core.config import Settings
from bot.core.permissions import Permission
from bot.framework.subcommand import Registry
from bot.jobs.store import JobStore, store_errors
from bot.services import Services


@dataclass(frozen=True)
class Context:
    """Who is asking, from where, and the services a handler may use. `transport` is recorded, never branched on."""

    settings: Settings
    services: Services
    user_id: str = "local"
    channel_id: str = "local"
    transport: str = "shell"
    registry: Registry | None = None

    @property
    def subcommands(self) -> Registry:
        """The registry this command was dispatched through (for help)."""
        if self.registry is None:
            raise RuntimeError("this Context has no registry: run commands through bot.dispatch")
        return self.registry

    def may(self, permission: Permission) -> bool:
        return self.services.access.may(self.user_id, self.channel_id, permission)

    def check(self, permission: Permission) -> None:
        """Raise PermissionDenied (a CommandError) unless the caller may, here."""
        self.services.access.check(self.user_id, self.channel_id, permission)

    def audit(self, text: str, command: str, decision: str, outcome: str, job_id: str | None = None) -> None:
        entry = AuditEntry(
            self.user_id, self.channel_id, self.transport, command, text, decision, outcome, job_id or ""
        )
        self.services.audit.record(entry)

    @contextmanager
    def jobs(self) -> Iterator[JobStore]:
        """The job store; a Redis outage inside becomes the friendly "job store is unavailable" error."""
        with store_errors(self.settings):
            yield self.services.jobs
