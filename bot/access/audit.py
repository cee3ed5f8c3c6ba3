"""The audit log: every command, appended to a capped Redis stream and to the structured log."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import redis

log = logging.getLogger(__name__)

AUDIT_STREAM = "imagebot:audit"
AUDIT_MAX = 10_000


@dataclass(frozen=True)
class AuditEntry:
    """Who ran what, where, what was decided and what came of it."""

    user: str
    channel: str
    transport: str
    command: str
    text: str
    decision: str
    outcome: str
    job_id: str = ""


class Audit:
    """Every command, appended to a capped Redis stream and to the structured log."""

    PAUSE = 30.0  # after Redis fails, log only for this long, so read commands stay fast

    def __init__(self, client_of: Callable[[], redis.Redis], scrub: Callable[[str], str]) -> None:
        self.client_of = client_of
        self.scrub = scrub
        self._paused_until = 0.0

    def record(self, what: AuditEntry) -> None:
        entry = {"ts": f"{time.time():.3f}", **asdict(what), "text": self.scrub(what.text)[:500]}
        log.info("audit", extra={"audit": entry})
        if time.monotonic() < self._paused_until:
            return
        try:
            self.client_of().xadd(AUDIT_STREAM, entry, maxlen=AUDIT_MAX, approximate=True)  # type: ignore[arg-type]
        except redis.RedisError as exc:
            self._paused_until = time.monotonic() + self.PAUSE
            log.warning("audit entry not stored in Redis", extra={"error": type(exc).__name__})

    def entries(self, user_id: str | None = None, limit: int = 20) -> list[dict[str, str]]:
        out: list[dict[str, str]] = []
        last = "+"
        client = self.client_of()
        while len(out) < limit:
            batch: list[Any] = client.xrevrange(AUDIT_STREAM, max=last, count=200)  # type: ignore[assignment]
            if not batch:
                break
            for _stream_id, fields in batch:
                entry = {k.decode(): v.decode() for k, v in fields.items()}
                if user_id is None or entry.get("user") == user_id:
                    out.append(entry)
                    if len(out) == limit:
                        break
            last = "(" + batch[-1][0].decode()
        return out


def audit_json(entry: dict[str, str]) -> str:
    return json.dumps(entry, sort_keys=True)
