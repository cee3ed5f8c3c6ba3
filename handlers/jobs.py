"""`/image jobs`, `/image job <id>`, `/image job cancel <id>` and `/image job check`."""

from __future__ import annotations

import time
from dataclasses import asdict
from typing import Any

from bot.commands import PREFIX, Command, Context, subcommand
from bot.errors import CommandError
from bot.jobs import (
    JobRecord,
    JobResult,
    Progress,
    age,
    cancel,
    find,
    job_kind,
    job_store,
    progress_bar,
    status_line,
    submit,
)
from bot.reply import Button, Buttons, Fields, Header, Part, Reply, Text
from bot.reply import Context as Footer

DEFAULT_LIMIT = 10
MAX_LIMIT = 100
CHECK_SECONDS = (1, 60)


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


@subcommand(
    "jobs",
    usage=f"{PREFIX} jobs [--all] [--limit N]",
    example=f"{PREFIX} jobs --all --limit 20",
    flags=("all",),
    options=("limit",),
    max_args=0,
)
def list_jobs(ctx: Context, cmd: Command) -> Reply:
    """List your recent jobs (everyone's with --all), newest first."""
    limit = _limit(cmd.option("limit"))
    with job_store(ctx) as store:
        records = store.recent(None if cmd.flag("all") else ctx.user_id, limit)
    whose = "Everyone's" if cmd.flag("all") else "Your"
    if not records:
        return Reply.message(f"{whose} recent jobs: none. Jobs are kept for {ctx.settings.job_retention_days} days.")
    now = time.time()
    lines = [_row(record, now, show_user=cmd.flag("all")) for record in records]
    return Reply(
        parts=[Header(f"{whose} recent jobs"), Text("\n".join(lines)), Footer(f"`{PREFIX} job <id>` shows one job.")],
        data={"jobs": [asdict(r) for r in records]},
    )


def _limit(text: str | None) -> int:
    if text is None:
        return DEFAULT_LIMIT
    if not text.isdigit() or not 1 <= int(text) <= MAX_LIMIT:
        raise CommandError(f"`--limit` takes a number from 1 to {MAX_LIMIT}, like `{PREFIX} jobs --limit 20`.")
    return int(text)


def _row(record: JobRecord, now: float, show_user: bool) -> str:
    progress = ""
    if record.status == "running":
        progress = f" `{progress_bar(record.fraction, 8)}` {round(record.fraction * 100)}%"
    who = f" · <@{record.user_id}>" if show_user else ""
    return (
        f"`{record.id}`  *{record.kind}*  {record.target} · {record.status}{progress}"
        f" · {age(now - record.created_at)} ago{who}"
    )


@subcommand("job", usage=f"{PREFIX} job <id>", example=f"{PREFIX} job 7f3a", min_args=1, max_args=1)
def show_job(ctx: Context, cmd: Command) -> Reply:
    """Show one job in full: status, progress, result or error."""
    with job_store(ctx) as store:
        record = find(store, cmd.args[0])
    return job_reply(record)


def job_reply(record: JobRecord) -> Reply:
    now = time.time()
    pairs = [
        ("Kind", record.kind),
        ("Target", record.target),
        ("Status", record.status),
        ("Progress", f"`{progress_bar(record.fraction)}` {round(record.fraction * 100)}% · {record.stage}"),
        ("Requested by", f"<@{record.user_id}>"),
        ("Created", f"{age(now - record.created_at)} ago"),
        ("Attempts", str(record.attempts)),
        ("Worker", f"{record.worker} pid {record.pid}" if record.worker else "—"),
    ]
    if record.error:
        pairs.append(("Error", record.error))
    if record.summary:
        pairs.append(("Result", record.summary))
    pairs.extend((label, value) for label, value in record.result_fields)
    parts: list[Part] = [Header(f"Job {record.id}"), Text(status_line(record)), Fields(tuple(pairs))]
    if not record.done:
        cancel_button = Button("Cancel job", "imagebot.run", f"{PREFIX} job cancel {record.id}", style="danger")
        parts.append(Buttons((cancel_button,)))
    return Reply(parts=parts, data={"job": asdict(record)})


@subcommand(
    "job cancel",
    usage=f"{PREFIX} job cancel <id>",
    example=f"{PREFIX} job cancel 7f3a",
    min_args=1,
    max_args=1,
)
def cancel_job(ctx: Context, cmd: Command) -> Reply:
    """Cancel one of your jobs: a queued one at once, a running one at its next step."""
    record = cancel(ctx, cmd.args[0])
    if record.status == "canceled":
        return Reply.message(f"Canceled job `{record.id}` before it started.")
    return Reply.message(
        f"Asked the worker to stop job `{record.id}`; it stops at its next step. "
        f"`{PREFIX} job {record.id}` shows when it has."
    )


@subcommand(
    "job check",
    usage=f"{PREFIX} job check [--seconds N]",
    example=f"{PREFIX} job check --seconds 5",
    options=("seconds",),
    max_args=0,
)
def check_jobs(ctx: Context, cmd: Command) -> Reply:
    """Run a harmless job that shows a worker is up and reporting progress."""
    seconds = _seconds(cmd.option("seconds", "5"))
    record, created = submit(ctx, "check", {"seconds": seconds}, f"checking the job system ({seconds} s)")
    return started_reply(record, created)


def _seconds(text: str | None) -> int:
    low, high = CHECK_SECONDS
    if text is None or not text.isdigit() or not low <= int(text) <= high:
        raise CommandError(f"`--seconds` takes a number from {low} to {high}, like `{PREFIX} job check --seconds 5`.")
    return int(text)


@job_kind("check", timeout=120)
def run_check(progress: Progress, args: dict[str, Any]) -> JobResult:
    """Advance in ten steps over the given seconds."""
    seconds = float(str(args.get("seconds", 5)))
    for step in range(10):
        progress.update(step / 10, f"step {step + 1} of 10")
        time.sleep(seconds / 10)
    return JobResult(f"a worker ran this job and reported progress ({seconds:g} s)")
