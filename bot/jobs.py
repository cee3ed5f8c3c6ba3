"""Jobs: long-running work as RQ jobs on Redis, each with a job record.

The record (`imagebot:job:{id}`, a Redis hash) says who asked, what, where to
report (Slack channel and message ts), status, progress, result and error.
RQ carries the work; the record is what users see, and it survives restarts
of the bot and of the workers.

- `@job_kind("pull", timeout=1800, retries=3)` registers a function
  `(progress, args) -> JobResult` that a worker runs.
- `submit(ctx, kind, args, target_text)` creates the record (deduplicated),
  posts the Slack progress message when asked from Slack, and enqueues.
- `Progress.update(fraction, stage)` writes the record and the heartbeat and
  raises `JobCanceled` once a cancel was asked for.

The worker side (running, heartbeats, Slack updates, the reaper) is `bot.worker`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass, field, fields
from typing import TYPE_CHECKING, Any, TextIO

import redis
from rq import Callback, Queue, Retry
from rq.exceptions import InvalidJobOperation, NoSuchJobError
from rq.job import Job

from bot.errors import CommandError

if TYPE_CHECKING:
    from bot.commands import Context
    from bot.config import Settings
    from bot.services import Services

log = logging.getLogger(__name__)

QUEUE = "imagebot"
KEY = "imagebot:{0}"  # the one template every job key is built from

QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELED = "queued", "running", "succeeded", "failed", "canceled"
ACTIVE = (QUEUED, RUNNING)
TERMINAL = (SUCCEEDED, FAILED, CANCELED)
WORKER_DIED = "the worker stopped while running this job"
ID_BYTES = (2, 2, 2, 3)  # 4 hex digits, then 6 when those keep colliding
STORE_ERRORS = (redis.ConnectionError, redis.TimeoutError)


def key(*parts: str) -> str:
    """`key("job", "7f3a")` -> `imagebot:job:7f3a`."""
    return KEY.format(":".join(parts))


def job_key(job_id: str) -> str:
    return key("job", job_id)


def heartbeat_key(job_id: str) -> str:
    return key("job", job_id, "heartbeat")


def user_index_key(user_id: str) -> str:
    return key("jobs", "user", user_id)


ALL_INDEX = key("jobs", "all")
RUNNING_SET = key("jobs", "running")


def dedupe_key(digest: str) -> str:
    return key("jobs", "dedupe", digest)


# ------------------------------------------------------------------- errors


class TransientJobError(Exception):
    """A failure worth retrying with back-off (throttling, a dropped connection)."""


class JobCanceled(Exception):
    """Raised by Progress.update once the job's requester asked to cancel it."""


def store_unavailable(settings: Settings) -> CommandError:
    host = settings.redis_url.split("@")[-1]
    return CommandError(
        f"The job store is unavailable (Redis at `{host}` did not answer), so jobs cannot be started or shown "
        "right now. Try again in a minute; `/image help` and `/image ask` still work."
    )


@contextmanager
def job_store(ctx: Context) -> Iterator[JobStore]:
    """The job store for a command; a Redis outage becomes a friendly CommandError."""
    try:
        yield JobStore(ctx.services.redis, ctx.settings)
    except STORE_ERRORS:
        raise store_unavailable(ctx.settings) from None


# ------------------------------------------------------------------ records


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
        return {name: _encode(value) for name, value in asdict(self).items()}

    @classmethod
    def from_hash(cls, raw: dict[bytes, bytes]) -> JobRecord:
        values = {k.decode(): v.decode() for k, v in raw.items()}
        kwargs: dict[str, Any] = {}
        for f in fields(cls):
            if f.name in values:
                kwargs[f.name] = _decode(values[f.name], f.type)
        return cls(**kwargs)


def _encode(value: Any) -> str:
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


# ------------------------------------------------------------------- store


class JobStore:
    """Job records, their indexes, heartbeats and dedupe keys in Redis."""

    def __init__(self, client: redis.Redis, settings: Settings) -> None:
        self.redis = client
        self.settings = settings

    @property
    def retention(self) -> int:
        return self.settings.job_retention_days * 86400

    def get(self, job_id: str) -> JobRecord | None:
        raw = self.redis.hgetall(job_key(job_id.lower()))
        return JobRecord.from_hash(raw) if raw else None  # type: ignore[arg-type]

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
        self.redis.hset(job_key(job_id), mapping={k: _encode(v) for k, v in values.items()})

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
                    self._write_transition(pipe, job_id, to, values)
                    pipe.execute()
                    break
                except redis.WatchError:
                    continue
        return self.get(job_id)

    def _write_transition(self, pipe: Any, job_id: str, to: str, values: dict[str, Any]) -> None:
        pipe.hset(job_key(job_id), mapping={k: _encode(v) for k, v in values.items()})
        if to == RUNNING:
            pipe.sadd(RUNNING_SET, job_id)
            pipe.set(heartbeat_key(job_id), "1", ex=max(1, round(self.settings.job_heartbeat_seconds)))
        else:
            pipe.srem(RUNNING_SET, job_id)
            pipe.delete(heartbeat_key(job_id))

    def beat(self, job_id: str) -> None:
        self.redis.set(heartbeat_key(job_id), "1", ex=max(1, round(self.settings.job_heartbeat_seconds)))

    def running_ids(self) -> list[str]:
        return [m.decode() for m in self.redis.smembers(RUNNING_SET)]  # type: ignore[union-attr]

    def alive(self, job_ids: list[str]) -> list[bool]:
        with self.redis.pipeline(transaction=False) as pipe:
            for job_id in job_ids:
                pipe.exists(heartbeat_key(job_id))
            return [bool(n) for n in pipe.execute()]

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

    def hold_dedupe(self, digest: str, job_id: str) -> str | None:
        """Hold the dedupe key for `job_id`; returns the id already holding it, if any."""
        if self.redis.set(dedupe_key(digest), job_id, nx=True, ex=self.settings.job_dedupe_seconds):
            return None
        held = self.redis.get(dedupe_key(digest))
        return held.decode() if held else None  # type: ignore[union-attr]

    def release_dedupe(self, record: JobRecord) -> None:
        digest = dedupe_digest(record.kind, record.args, record.user_id)
        if self.redis.get(dedupe_key(digest)) == record.id.encode():
            self.redis.delete(dedupe_key(digest))

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


# -------------------------------------------------------------- job kinds

JobFunction = Callable[["Progress", dict[str, Any]], JobResult]


@dataclass(frozen=True)
class JobKind:
    name: str
    func: JobFunction
    timeout: int = 600
    retries: int = 0
    backoff: tuple[int, ...] = (5, 30, 120)

    def retry(self) -> Retry | None:
        return Retry(max=self.retries, interval=list(self.backoff)) if self.retries else None


KINDS: dict[str, JobKind] = {}


def job_kind(
    name: str, timeout: int = 600, retries: int = 0, backoff: tuple[int, ...] = (5, 30, 120)
) -> Callable[[JobFunction], JobFunction]:
    """Register `(progress, args) -> JobResult` as the job kind `name`."""

    def wrap(func: JobFunction) -> JobFunction:
        if name in KINDS and KINDS[name].func is not func:
            raise ValueError(f"job kind {name!r} registered twice")
        KINDS[name] = JobKind(name, func, timeout, retries, backoff)
        return func

    return wrap


def kind_named(name: str) -> JobKind:
    if name not in KINDS:
        raise CommandError(f"There is no job kind `{name}`. `/image help` lists the commands that start jobs.")
    return KINDS[name]


# ---------------------------------------------------------------- progress


class Progress:
    """Handed to a running job: report progress, notice a cancel."""

    def __init__(
        self,
        store: JobStore,
        record: JobRecord,
        services: Services,
        on_change: Callable[[], None] = lambda: None,
    ) -> None:
        self.store = store
        self.record = record
        self.services = services
        self.settings = store.settings
        self.job_id = record.id
        self._on_change = on_change

    def update(self, fraction: float, stage: str) -> None:
        """Record progress (0..1) and a one-line stage; raises JobCanceled after a cancel."""
        fraction = min(1.0, max(0.0, fraction))
        values = {"fraction": str(fraction), "stage": stage[:200], "updated_at": str(time.time())}
        with self.store.redis.pipeline() as pipe:
            pipe.hset(job_key(self.job_id), mapping=values)
            pipe.set(heartbeat_key(self.job_id), "1", ex=max(1, round(self.settings.job_heartbeat_seconds)))
            pipe.hget(job_key(self.job_id), "cancel_requested_by")
            canceled_by = pipe.execute()[-1]
        self._on_change()
        if canceled_by:
            raise JobCanceled(canceled_by.decode())


# ------------------------------------------------------------- submission


def queue_for(services: Services) -> Queue:
    return Queue(QUEUE, connection=services.redis)


def submit(ctx: Context, kind: str, args: dict[str, Any], target_text: str) -> tuple[JobRecord, bool]:
    """Start a job (or find the identical one already started); returns (record, created)."""
    spec = kind_named(kind)
    with job_store(ctx) as store:
        job_id = store.claim_id()
        existing = _duplicate_of(store, dedupe_digest(kind, args, ctx.user_id), job_id)
        if existing is not None:
            store.forget(job_id)
            return existing, False
        record = _new_record(ctx, job_id, kind, args, target_text)
        store.create(record)
        if ctx.transport == "slack":
            _post_progress_message(ctx.settings, store, record)
        enqueue(ctx.services, spec, record)
        return record, True


def _duplicate_of(store: JobStore, digest: str, job_id: str) -> JobRecord | None:
    """The unfinished job this submission repeats, or None after taking the dedupe key for `job_id`."""
    held = store.hold_dedupe(digest, job_id)
    if held is None:
        return None
    existing = _wait_for_record(store, held)
    if existing is not None and not existing.done:
        return existing
    store.redis.set(dedupe_key(digest), job_id, ex=store.settings.job_dedupe_seconds)
    return None


def _wait_for_record(store: JobStore, job_id: str, tries: int = 20) -> JobRecord | None:
    """The record a concurrent submission is writing (it holds the dedupe key first)."""
    for _ in range(tries):
        record = store.get(job_id)
        if record is not None and record.kind:
            return record
        time.sleep(0.01)
    return None


def _new_record(ctx: Context, job_id: str, kind: str, args: dict[str, Any], target: str) -> JobRecord:
    now = time.time()
    return JobRecord(
        id=job_id,
        kind=kind,
        args=args,
        target=target,
        user_id=ctx.user_id,
        transport=ctx.transport,
        channel=ctx.channel_id if ctx.transport == "slack" else "",
        created_at=now,
        updated_at=now,
    )


def _post_progress_message(settings: Settings, store: JobStore, record: JobRecord) -> None:
    from bot.notify import SlackNotifier

    ts = SlackNotifier(settings).post_start(record)
    if ts:
        record.message_ts = record.thread_ts = ts
        store.set_fields(record.id, message_ts=ts, thread_ts=ts)


def enqueue(services: Services, spec: JobKind, record: JobRecord) -> Job:
    retention = services.settings.job_retention_days * 86400
    return queue_for(services).enqueue(
        "bot.worker.execute_job",
        record.id,
        job_id=record.id,
        job_timeout=spec.timeout,
        retry=spec.retry(),
        on_failure=Callback("bot.worker.on_job_failure"),
        result_ttl=3600,
        failure_ttl=retention,
        description=f"{record.kind} {record.target}",
    )


# ------------------------------------------------------------------ cancel


def may_cancel(ctx: Context, record: JobRecord) -> bool:
    """The requester may cancel their job; an admin may cancel anyone's."""
    return record.user_id == ctx.user_id or ctx.services.access.may(ctx, "admin")


def cancel(ctx: Context, job_id: str) -> JobRecord:
    """Cancel a queued job now, or ask a running one to stop at its next progress step."""
    with job_store(ctx) as store:
        record = find(store, job_id)
        if not may_cancel(ctx, record):
            raise CommandError(
                f"Job `{record.id}` was started by <@{record.user_id}>; only they (or an admin) can cancel it. "
                f"`/image job {record.id}` shows its progress."
            )
        if record.done:
            raise CommandError(f"Job `{record.id}` already {record.status}; there is nothing to cancel.")
        canceled = store.transition(record.id, (QUEUED,), CANCELED, stage=f"canceled by {ctx.user_id}")
        if canceled is not None:
            _drop_from_queue(ctx.services, record.id)
            _finish_elsewhere(store, canceled)
            return canceled
        store.set_fields(record.id, cancel_requested_by=ctx.user_id)
        return find(store, record.id)


def _drop_from_queue(services: Services, job_id: str) -> None:
    # already taken by a worker, or gone: the record's status keeps it from running anyway
    with suppress(NoSuchJobError, InvalidJobOperation):
        Job.fetch(job_id, connection=services.redis).cancel()


def _finish_elsewhere(store: JobStore, record: JobRecord) -> None:
    """Tell Slack about a job that ended outside a worker (canceled while queued)."""
    from bot.notify import SlackNotifier

    store.release_dedupe(record)
    SlackNotifier(store.settings).finish(store, record)


def find(store: JobStore, job_id: str) -> JobRecord:
    record = store.get(job_id.strip().lower())
    if record is None or not record.kind:
        raise CommandError(f"There is no job `{job_id}` (records are kept for a while). `/image jobs` lists yours.")
    return record


# ------------------------------------------------------------------ display


def progress_bar(fraction: float, width: int = 10) -> str:
    filled = round(min(1.0, max(0.0, fraction)) * width)
    return "▓" * filled + "░" * (width - filled)


def age(seconds: float) -> str:
    seconds = max(0, int(seconds))
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def status_line(record: JobRecord) -> str:
    """One line for the job: its Slack message, the shell's progress lines, listings."""
    head = f"Job {record.id}: {record.target}"
    if record.status == QUEUED:
        return f"{head} … ({record.stage})" if record.attempts else f"{head} … (queued)"
    if record.status == RUNNING:
        return f"{head}  `{progress_bar(record.fraction)}` {round(record.fraction * 100)}% · {record.stage}"
    took = age(record.ended_at - (record.started_at or record.created_at))
    if record.status == SUCCEEDED:
        return f":white_check_mark: {head}: done in {took}. {record.summary}".rstrip()
    if record.status == CANCELED:
        return f":no_entry_sign: {head}: canceled ({record.stage})."
    return f":x: {head}: failed: {record.error}"


# ------------------------------------------------------------------ waiting


def follow(ctx: Context, job_id: str, out: TextIO, poll: float = 0.2) -> JobRecord | None:
    """Print a progress line whenever the job moves, until it ends; None when waiting stopped.

    Ctrl-C stops the waiting, never the job.
    """
    try:
        with job_store(ctx) as store:
            return _print_until_done(store, job_id, out, poll)
    except KeyboardInterrupt:
        print(f"\nStopped waiting; job {job_id} keeps running. `/image job {job_id}` shows it.", file=out)
    except CommandError as exc:
        print(exc.message, file=out)
    return None


def _print_until_done(store: JobStore, job_id: str, out: TextIO, poll: float) -> JobRecord | None:
    from bot.reply import Reply, render_text

    last = ""
    while True:
        record = store.get(job_id)
        if record is None:
            return None
        line = render_text(Reply.message(status_line(record)))
        if line != last:
            print(line, file=out, flush=True)
            last = line
        if record.done:
            return record
        time.sleep(poll)
