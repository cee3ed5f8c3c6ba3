"""Starting jobs from commands: a proposal to confirm, the record (deduplicated), the queue, the reply."""

from __future__ import annotations

import time
from typing import Any

from bot.core.command import PREFIX
from bot.core.needs import Need, merged
from bot.core.parts import Fields, Header, Part, Text
from bot.core.proposal import Proposal
from bot.core.reply import Reply
from bot.framework.context import Context
from bot.framework.job_kind import kind_named
from bot.jobs.queue import enqueue
from bot.jobs.record import JobRecord
from bot.jobs.store import JobStore


def proposal_reply(proposal: Proposal) -> Reply:
    """What a handler of a costly action returns: the summary, carrying the proposal to confirm."""
    parts: list[Part] = [Header(proposal.title)]
    if proposal.summary:
        parts.append(Fields(proposal.summary))
    parts.append(Text(proposal.warning))
    return Reply(parts=parts, proposal=proposal)


def submit(ctx: Context, kind: str, args: dict[str, Any], target: str) -> tuple[JobRecord, bool]:
    """Start a job (or find the identical one already started); returns (record, created).

    The job store and the kind's needs are checked first: work that cannot start gets no record.
    """
    spec = kind_named(kind)
    ctx.services.ensure(merged((Need.REDIS,), spec.needs))
    with ctx.jobs() as store:
        job_id = store.claim_id()
        existing = store.duplicate_of(kind, args, ctx.user_id, job_id)
        if existing is not None:
            store.forget(job_id)
            return existing, False
        record = _new_record(ctx, job_id, kind, args, target)
        store.create(record)
        _announce(ctx, store, record)
        enqueue(store, record, spec.timeout, spec.retry())
        return record, True


def _new_record(ctx: Context, job_id: str, kind: str, args: dict[str, Any], target: str) -> JobRecord:
    now = time.time()
    return JobRecord(
        id=job_id,
        kind=kind,
        args=args,
        target=target,
        user_id=ctx.user_id,
        transport=ctx.transport,
        channel=ctx.channel_id,
        created_at=now,
        updated_at=now,
    )


def _announce(ctx: Context, store: JobStore, record: JobRecord) -> None:
    """The transport shows the new job; a message it posted is the one later updates edit."""
    ts = ctx.services.notifier.started(record)
    if ts:
        record.message_ts = record.thread_ts = ts
        store.set_fields(record.id, message_ts=ts, thread_ts=ts)


def started_reply(record: JobRecord, created: bool) -> Reply:
    """What a command that starts a job answers (a repeat gets the first job's id)."""
    if not created:
        return Reply.message(
            f"That is already job `{record.id}` ({record.status}); I did not start it twice. "
            f"`{PREFIX} job {record.id}` shows it.",
            job_id=record.id,
        )
    return Reply.message(
        f"Started job `{record.id}`: {record.target}. `{PREFIX} job {record.id}` shows it; "
        f"`{PREFIX} job cancel {record.id}` stops it.",
        job_id=record.id,
    )
