"""The job record: who asked for what, where to report, and how far it got (a Redis hash)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from typing import Any

QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELED = "queued", "running", "succeeded", "failed", "canceled"
ACTIVE = (QUEUED, RUNNING)
TERMINAL = (SUCCEEDED, FAILED, CANCELED)
WORKER_DIED = "the worker stopped while running this job"


@dataclass
class JobResult:
    """What a job kind returns: a one-line summary and optional detail fields."""

    summary: str
    fields: tuple[tuple[str, str], ...] = ()


@dataclass
class JobRecord:
    id: str
    kind: str
    args: dict[str, Any]
    target: str
    user_id: str
    transport: str = "shell"
    channel: str = ""
    message_ts: str = ""
    thread_ts: str = ""
    status: str = QUEUED
    fraction: float = 0.0
    stage: str = "queued"
    summary: str = ""
    result_fields: list[list[str]] = field(default_factory=list)
    error: str = ""
    cancel_requested_by: str = ""
    attempts: int = 0
    worker: str = ""
    pid: int = 0
    created_at: float = 0.0
    started_at: float = 0.0
    ended_at: float = 0.0
    updated_at: float = 0.0
    slack_updated_at: float = 0.0

    @property
    def done(self) -> bool:
        return self.status in TERMINAL

    def to_hash(self) -> dict[str, str]:
        return {name: encode(value) for name, value in asdict(self).items()}

    @classmethod
    def from_hash(cls, raw: dict[bytes, bytes]) -> JobRecord:
        values = {k.decode(): v.decode() for k, v in raw.items()}
        kwargs: dict[str, Any] = {}
        for f in fields(cls):
            if f.name in values:
                kwargs[f.name] = _decode(values[f.name], f.type)
        return cls(**kwargs)


def encode(value: Any) -> str:
    """One record field as the string Redis keeps."""
    return json.dumps(value) if isinstance(value, dict | list | tuple) else str(value)


def _decode(text: str, kind: Any) -> Any:
    kind = str(kind)
    if kind.startswith(("dict", "list")):
        return json.loads(text or "null") or ({} if kind.startswith("dict") else [])
    if kind == "float":
        return float(text or 0)
    if kind == "int":
        return int(text or 0)
    return text
