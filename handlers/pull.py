"""`/image pull`: pull an image onto the bot's Docker host as a job with live progress (the `pull` kind)."""

from __future__ import annotations

from typing import Any

from bot.access.guardrails import check_pull
from bot.core.command import PREFIX, Command
from bot.core.needs import Need
from bot.core.permissions import Permission
from bot.core.reply import Reply
from bot.docker.platforms import parse_platform
from bot.docker.progress import describe_progress, throttled
from bot.docker.pull import pull_image
from bot.docker.reference import parse_reference
from bot.framework.context import Context
from bot.framework.job_kind import job_kind
from bot.framework.options import Text
from bot.framework.starting import started_reply, submit
from bot.framework.subcommand import subcommand
from bot.jobs.progress import Progress
from bot.jobs.record import JobResult

EXAMPLE_REF = "nginx:1.27"


@subcommand(
    "pull",
    example=f"{PREFIX} pull {EXAMPLE_REF} --platform linux/arm64",
    forms=("<image-ref>",),
    options={"platform": Text(convert=parse_platform, metavar="os/arch")},
    permission=Permission.PULL,
    validate=lambda cmd: parse_reference(cmd.args[0]),
    needs=(Need.REDIS, Need.DOCKER),
)
def pull(ctx: Context, cmd: Command) -> Reply:
    """Pull an image onto the bot's Docker host as a job, with live progress."""
    ref = parse_reference(cmd.args[0])
    platform = cmd.option("platform")
    check_pull(ctx.services.policy, str(ref))
    target = f"pulling {ref}" + (f" for {platform}" if platform else "")
    record, created = submit(ctx, "pull", {"ref": str(ref), "platform": platform}, target)
    return started_reply(record, created)


@job_kind("pull", timeout=1800, retries=3, needs=(Need.DOCKER,))
def run_pull(ctx: Context, progress: Progress, args: dict[str, Any]) -> JobResult:
    """The pull job: the engine's events become the job's progress (at most one update a second)."""
    check_pull(ctx.services.policy, str(args["ref"]))  # the guardrail again: the policy may have changed
    report = throttled(lambda fraction, stage, detail: progress.update(fraction, describe_progress(stage, detail)))
    result = pull_image(ctx.services.docker.client(), str(args["ref"]), args.get("platform"), report)
    return JobResult(result.summary, fields=result.fields())
