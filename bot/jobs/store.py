"""Job records in Redis: create, read, move between statuses, list, and deduplicate submissions.

Every key comes from the one template `imagebot:{…}`. RQ keeps the work
itself (its queue, its started/failed registries); the record is what users see.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import redis

from bot.core.command import PREFIX
from bot.core.config import Settings
from bot.core.errors import CommandError, Unavailable
from bot.core.text import echo
from bot.jobs.errors import TransientJobError
from bot.jobs.record import TERMINAL, JobRecord, encode

KEY = "imagebot:{0}"  # the one template every job key is built from
ID_BYTES = (2, 2, 2, 3)  # 4 hex digits, then 6 when those keep colliding
STORE_ERRORS = (redis.ConnectionError, redis.TimeoutError)


def key(*parts: str) -> str:
    """`key("job", "7f3a")` -> `imagebot:job:7f3a`."""
    return KEY.format(":".join(parts))


def job_key(job_id: str) -> str:
    return key("job", job_id)


def user_index_key(user_id: str) -> str:
    return key("jobs", "user", user_id)


def dedupe_key(digest: str) -> str:
    return key("jobs", "dedupe", digest)


ALL_INDEX = key("jobs", "all")
ENDED = key("jobs", "ended")  # jobs ended, by "kind|status", for the fleet-wide metrics


def store_unavailable(settings: Settings) -> Unavailable:
    host = settings.redis_url.split("@")[-1]
    return Unavailable(
        f"The job store is unavailable (Redis at `{host}` did not answer), so jobs cannot be started or shown "
        f"right now. Try again in a minute; `{PREFIX} help` and `{PREFIX} ask` still work."
    )


@contextmanager
def store_errors(settings: Settings) -> Iterator[None]:
    """A Redis outage inside becomes the friendly "job store is unavailable" CommandError."""
    try:
        yield
    except STORE_ERRORS:
        raise store_unavailable(settings) from None


class JobStore:
    """Job records, their indexes and dedupe keys in Redis."""

    def __init__(self, client: redis.Redis, settings: Settings) -> None:
        self.redis = client
        self.settings = settings

    @property
    def retention(self) -> int:
        return self.settings.job_retention_days * 86400

    def get(self, job_id: str) -> JobRecord | None:
        """The record; None when there is none, or when its id is reserved and the record not yet written."""
        raw: dict[bytes, bytes] = self.redis.hgetall(job_key(job_id.lower()))  # type: ignore[assignment]
        return JobRecord.from_hash(raw) if raw and b"kind" in raw else None

    def find(self, job_id: str) -> JobRecord:
        """The record a user named, or a CommandError saying there is none."""
        record = self.get(job_id.strip().lower())
        if record is None:
            raise CommandError(
                f"There is no job `{echo(job_id)}` (records are kept for a while). `{PREFIX} jobs` lists yours."
            )
        return record

    def claim_id(self) -> str:
        """A new short id, reserved with HSETNX so two submissions never share one."""
        for size in ID_BYTES:
            job_id = secrets.token_hex(size)
            if self.redis.hsetnx(job_key(job_id), "id", job_id):
                self.redis.expire(job_key(job_id), self.retention)
                return job_id
        raise TransientJobError("could not find a free job id")

    def create(self, record: JobRecord) -> None:
        now = record.created_at
        with self.redis.pipeline() as pipe:
            pipe.hset(job_key(record.id), mapping=record.to_hash())
            pipe.expire(job_key(record.id), self.retention)
            for index in (user_index_key(record.user_id), ALL_INDEX):
                pipe.zadd(index, {record.id: now})
                pipe.zremrangebyscore(index, "-inf", now - self.retention)
                pipe.expire(index, self.retention)
            pipe.execute()

    def set_fields(self, job_id: str, **values: Any) -> None:
        self.redis.hset(job_key(job_id), mapping={k: encode(v) for k, v in values.items()})

    def transition(self, job_id: str, allowed_from: tuple[str, ...], to: str, **values: Any) -> JobRecord | None:
        """Move a job to status `to` only if it is in `allowed_from`; None when it was not."""
        jkey = job_key(job_id)
        values.update(status=to, updated_at=time.time())
        if to in TERMINAL:
            values.setdefault("ended_at", time.time())
        with self.redis.pipeline() as pipe:
            while True:
                try:
                    pipe.watch(jkey)
                    status: Any = pipe.hget(jkey, "status")
                    if status is None or status.decode() not in allowed_from:
                        pipe.unwatch()
                        return None
                    pipe.multi()
                    pipe.hset(jkey, mapping={k: encode(v) for k, v in values.items()})
                    pipe.execute()
                    break
                except redis.WatchError:
                    continue
        return self.get(job_id)

    def recent(self, user_id: str | None, limit: int) -> list[JobRecord]:
        """The newest records, one user's or everyone's; ids whose record expired are dropped."""
        index = user_index_key(user_id) if user_id else ALL_INDEX
        ids = [i.decode() for i in self.redis.zrevrange(index, 0, limit - 1)]  # type: ignore[union-attr]
        with self.redis.pipeline(transaction=False) as pipe:
            for job_id in ids:
                pipe.hgetall(job_key(job_id))
            raws = pipe.execute()
        gone = [job_id for job_id, raw in zip(ids, raws, strict=True) if not raw]
        if gone:
            self.redis.zrem(index, *gone)
        return [JobRecord.from_hash(raw) for raw in raws if raw]

    def duplicate_of(self, kind: str, args: dict[str, Any], user_id: str, job_id: str) -> JobRecord | None:
        """The unfinished job this submission repeats, or None after taking the dedupe key for `job_id`."""
        digest = dedupe_digest(kind, args, user_id)
        held = self._hold_dedupe(digest, job_id)
        if held is None:
            return None
        existing = self._wait_for_record(held)
        if existing is not None and not existing.done:
            return existing
        self.redis.set(dedupe_key(digest), job_id, ex=self.settings.job_dedupe_seconds)
        return None

    def _hold_dedupe(self, digest: str, job_id: str) -> str | None:
        """Hold the dedupe key for `job_id`; returns the id already holding it, if any."""
        if self.redis.set(dedupe_key(digest), job_id, nx=True, ex=self.settings.job_dedupe_seconds):
            return None
        held = self.redis.get(dedupe_key(digest))
        return held.decode() if held else None  # type: ignore[union-attr]

    def _wait_for_record(self, job_id: str, tries: int = 20) -> JobRecord | None:
        """The record a concurrent submission is writing (it holds the dedupe key first)."""
        for _ in range(tries):
            record = self.get(job_id)
            if record is not None:
                return record
            time.sleep(0.01)
        return None

    def release_dedupe(self, record: JobRecord) -> None:
        digest = dedupe_digest(record.kind, record.args, record.user_id)
        if self.redis.get(dedupe_key(digest)) == record.id.encode():
            self.redis.delete(dedupe_key(digest))

    def count_ended(self, record: JobRecord) -> None:
        self.redis.hincrby(ENDED, f"{record.kind}|{record.status}", 1)

    def ended_counts(self) -> dict[tuple[str, str], int]:
        """Jobs ended so far, by (kind, status), across every process."""
        raw: dict[bytes, bytes] = self.redis.hgetall(ENDED)  # type: ignore[assignment]
        counts = {}
        for field, value in raw.items():
            kind, _, status = field.decode().rpartition("|")
            counts[(kind, status)] = int(value)
        return counts

    def forget(self, job_id: str) -> None:
        self.redis.delete(job_key(job_id))


def dedupe_digest(kind: str, args: dict[str, Any], user_id: str) -> str:
    normalized = json.dumps({"kind": kind, "args": _normalize(args), "user": user_id}, sort_keys=True)
    return hashlib.sha256(normalized.encode()).hexdigest()[:32]


def _normalize(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k).lower(): _normalize(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_normalize(v) for v in value]
    return value.strip() if isinstance(value, str) else value
