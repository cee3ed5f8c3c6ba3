"""Slack user-group membership from `usergroups.list`, cached for a few minutes, for group grants."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackClientError

log = logging.getLogger(__name__)


class SlackGroups:
    """`groups(user_id)`: the ids of the user's groups; when Slack cannot be read, none (logged)."""

    def __init__(self, client: WebClient, ttl: float = 300.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.client = client
        self.ttl = ttl
        self.clock = clock
        self._members: dict[str, frozenset[str]] = {}
        self._loaded: float | None = None  # never loaded yet (monotonic time can be small after a boot)
        self._lock = threading.Lock()

    def __call__(self, user_id: str) -> frozenset[str]:
        with self._lock:
            if self._loaded is None or self.clock() - self._loaded > self.ttl:
                self._refresh()
            return self._members.get(user_id, frozenset())

    def _refresh(self) -> None:
        self._loaded = self.clock()  # a failure is retried after the TTL, not on every command
        try:
            groups: list[dict[str, Any]] = self.client.usergroups_list(include_users=True).get("usergroups", [])
        except (SlackClientError, OSError) as exc:
            log.warning("cannot read Slack user groups; group grants are ignored", extra={"error": str(exc)})
            self._members = {}  # fail closed: no group grants until Slack answers again
            return
        members: dict[str, set[str]] = {}
        for group in groups:
            for user in group.get("users", []):
                members.setdefault(user, set()).add(group["id"])
        self._members = {u: frozenset(g) for u, g in members.items()}
