"""`/image jobs`, `/image job <id>`, `/image job cancel <id>` and `/image job check` (with its `check` kind)."""

from __future__ import annotations

import time
from dataclasses import asdict
from typing import Any

from bot.core.command import PREFIX, Command
from bot.core.errors import CommandError
from bot.core.formatting import compact_duration, percent, progress_bar
from bot.core.markup import Mrkdwn, md, mention
from bot.core.parts import Button, Buttons, Fields, Footer, Header, Part, Text
from bot.core.permissions import Permission
from bot.core.reply import Reply
from bot.framework.context import Context
from bot.framework.job_kind import job_kind
from bot.framework.options import Flag, Number
from bot.framework.starting import started_reply, submit
from bot.framework.subcommand import subcommand
from bot.jobs.display import status_line
from bot.jobs.progress import Progress
from bot.jobs.queue import cancel
from bot.jobs.record import CANCELED, RUNNING, JobRecord, JobResult


@subcommand(
    "jobs",
    example=f"{PREFIX} jobs --all --limit 20",
    options={"all": Flag(), "limit": Number(1, 100, default=10)},
)
def list_jobs(ctx: Context, cmd: Command) -> Reply:
    """List your recent jobs (everyone's with --all), newest first."""
    everyone = cmd.flag("all")
    with ctx.jobs() as store:
        records = store.recent(None if everyone else ctx.user_id, cmd.number("limit"))
    whose = "Everyone's" if everyone else "Your"
    if not records:
        return Reply.message(f"{whose} recent jobs: none. Jobs are kept for {ctx.settings.job_retention_days} days.")
    now = time.time()
    lines = [_row(record, now, show_user=everyone) for record in records]
    return Reply(
        parts=[
            Header(f"{whose} recent jobs"),
            Text(Mrkdwn("\n").join(lines)),
            Footer(f"`{PREFIX} job <id>` shows one job."),
        ],
        data={"jobs": [asdict(r) for r in records]},
    )


def _row(record: JobRecord, now: float, show_user: bool) -> Mrkdwn:
    progress = ""
    if record.status == RUNNING:
        progress = f" `{progress_bar(record.fraction, 8)}` {percent(record.fraction)}"
    who = md(" · {}", mention(record.user_id)) if show_user else ""
    age = compact_duration(now - record.created_at)
    what = md("`{}`  *{}*  {}", record.id, record.kind, record.target)
    return md("{} · {}{} · {} ago{}", what, record.status, progress, age, who)


@subcommand("job", example=f"{PREFIX} job 7f3a", forms=("<id>",))
def show_job(ctx: Context, cmd: Command) -> Reply:
    """Show one job in full: status, progress, result or error."""
    with ctx.jobs() as store:
        record = store.find(cmd.args[0])
    return job_reply(record)


def job_reply(record: JobRecord) -> Reply:
    now = time.time()
    pairs: list[tuple[str, str]] = [
        ("Kind", record.kind),
        ("Target", record.target),
        ("Status", record.status),
        ("Progress", f"`{progress_bar(record.fraction)}` {percent(record.fraction)} · {record.stage}"),
        ("Requested by", mention(record.user_id)),
        ("Created", f"{compact_duration(now - record.created_at)} ago"),
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
    example=f"{PREFIX} job cancel 7f3a",
    forms=("<id>",),
)
def cancel_job(ctx: Context, cmd: Command) -> Reply:
    """Cancel one of your jobs: a queued one at once, a running one as soon as its worker stops it."""
    with ctx.jobs() as store:
        record = store.find(cmd.args[0])
        if record.user_id != ctx.user_id and not ctx.may(Permission.ADMIN):
            raise CommandError(
                md(
                    "Job `{}` was started by {}; only they (or an admin) can cancel it. `{} job {}` shows it.",
                    record.id,
                    mention(record.user_id),
                    PREFIX,
                    record.id,
                )
            )
        if record.done:
            raise CommandError(f"Job `{record.id}` already {record.status}; there is nothing to cancel.")
        record = cancel(store, record, by=ctx.user_id)
        if record.status == CANCELED:
            ctx.services.notifier.finished(store, record)  # it ended without a worker: say so where it was asked
            return Reply.message(f"Canceled job `{record.id}` before it started.")
    return Reply.message(
        f"Asked the worker to stop job `{record.id}`; it stops within seconds. "
        f"`{PREFIX} job {record.id}` shows when it has."
    )


@subcommand(
    "job check",
    example=f"{PREFIX} job check --seconds 5",
    options={"seconds": Number(1, 60, default=5)},
)
def check_jobs(ctx: Context, cmd: Command) -> Reply:
    """Run a harmless job that shows a worker is up and reporting progress."""
    seconds = cmd.number("seconds")
    record, created = submit(ctx, "check", {"seconds": seconds}, f"checking the job system ({seconds} s)")
    return started_reply(record, created)


@job_kind("check", timeout=120)
def run_check(ctx: Context, progress: Progress, args: dict[str, Any]) -> JobResult:
    """Advance in ten steps over the given seconds."""
    seconds = float(str(args.get("seconds", 5)))
    for step in range(10):
        progress.update(step / 10, f"step {step + 1} of 10")
        time.sleep(seconds / 10)
    return JobResult(f"a worker ran this job and reported progress ({seconds:g} s)")
