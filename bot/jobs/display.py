"""How a job is written: its one status line, and the reply that says how it ended."""

from __future__ import annotations

from bot.core.command import PREFIX
from bot.core.formatting import compact_duration, percent, progress_bar
from bot.core.parts import Fields, Footer, Part, Text
from bot.core.reply import Reply
from bot.jobs.record import CANCELED, QUEUED, RUNNING, SUCCEEDED, JobRecord


def status_line(record: JobRecord) -> str:
    """One line for the job: its Slack message, the shell's progress lines, listings."""
    head = f"Job {record.id}: {record.target}"
    if record.status == QUEUED:
        return f"{head} … ({record.stage})" if record.attempts else f"{head} … (queued)"
    if record.status == RUNNING:
        return f"{head}  `{progress_bar(record.fraction)}` {percent(record.fraction)} · {record.stage}"
    took = compact_duration(record.ended_at - (record.started_at or record.created_at))
    if record.status == SUCCEEDED:
        return f":white_check_mark: {head}: done in {took}. {record.summary}".rstrip()
    if record.status == CANCELED:
        return f":no_entry_sign: {head}: canceled ({record.stage})."
    return f":x: {head}: failed: {record.error}"


def final_reply(record: JobRecord) -> Reply:
    """The reply in the job's thread when it ends."""
    if record.status == SUCCEEDED:
        parts: list[Part] = [Text(f":white_check_mark: Job `{record.id}` done: {record.summary or record.target}")]
        if record.result_fields:
            parts.append(Fields(tuple((label, value) for label, value in record.result_fields)))
        return Reply(parts=parts)
    if record.status == CANCELED:
        return Reply(parts=[Text(f":no_entry_sign: Job `{record.id}` was canceled ({record.stage}).")])
    return Reply(
        parts=[
            Text(f":x: Job `{record.id}` failed: {record.error}"),
            Footer(f"`{PREFIX} job {record.id}` shows the details; run the command again to retry."),
        ]
    )
