"""`/image ami copy`: copy an AMI to another region, as a confirmed job (the `ami.copy` kind is here too)."""

from __future__ import annotations

import time
from typing import Any

from bot.access.guardrails import check_copy
from bot.aws.copies import COPY, ORIGINAL, Copy, copy_image, ensure_tags, group_copies, source_tags
from bot.aws.images import (
    SOURCE_IMAGE_TAG,
    SOURCE_REGION_TAG,
    Image,
    describe_image,
    list_owned,
    validate_ami_id,
    validate_ami_name,
)
from bot.aws.regions import validate_region
from bot.core.command import PREFIX, Command
from bot.core.errors import CommandError
from bot.core.needs import Need
from bot.core.permissions import Permission
from bot.core.proposal import Proposal
from bot.core.reply import Reply
from bot.framework.context import Context
from bot.framework.job_kind import job_kind
from bot.framework.options import Text as TextOption
from bot.framework.starting import proposal_reply
from bot.framework.subcommand import subcommand
from bot.jobs.progress import Progress
from bot.jobs.record import JobResult
from handlers.shared.ami import POLL_SECONDS, available_image

LIVE_STATES = ("available", "pending")
COPY_WARNING = "This creates a new AMI and EBS snapshots in `{region}`; snapshot storage costs money."


@subcommand(
    "ami copy",
    example=f"{PREFIX} ami copy ami-0abcdef1234567890 eu-west-1",
    forms=("<ami-id> <region>",),
    options={"name": TextOption(convert=validate_ami_name), "source-region": TextOption(convert=validate_region)},
    slow=True,
    permission=Permission.COPY,
    validate=lambda cmd: (validate_ami_id(cmd.args[0]), validate_region(cmd.args[1])),
    needs=(Need.REDIS, Need.AWS),  # the confirmation is kept in Redis; the job needs AWS
)
def ami_copy(ctx: Context, cmd: Command) -> Reply:
    """Copy an AMI to another region (a job, after you confirm; it warns when the region already has a copy)."""
    ami_id = validate_ami_id(cmd.args[0])
    region = validate_region(cmd.args[1])
    source_region = cmd.option("source-region") or ctx.settings.aws_region
    if region == source_region:
        raise CommandError(
            f"`{ami_id}` already lives in `{region}`: name the region to copy it to, not the one it is in."
        )
    check_copy(ctx.services.policy, region)
    source = available_image(ctx, source_region, ami_id, "--source-region")
    name = cmd.option("name") or source.name or source.id  # EC2 accepted the source's name; a new one is checked
    source_name = source.name or "no name"
    existing = existing_copies(ctx, source, region)
    warning = COPY_WARNING.format(region=region)
    if existing:
        warning = f"{already_copied(source, region, existing)} {warning}"
    return proposal_reply(
        Proposal(
            kind="ami.copy",
            args={"ami": source.id, "source_region": source_region, "region": region, "name": name},
            target=f"copying {source.id} ({source_name}) from {source_region} to {region} as {name}",
            title=f"Copy {source.id} to {region}?",
            summary=(
                ("Source AMI", f"`{source.id}` ({source_name})"),
                ("From", f"`{source_region}`"),
                ("To", f"`{region}`"),
                ("New name", name),
                ("Tags", f"the AMI's own tags, plus `{SOURCE_IMAGE_TAG}` and `{SOURCE_REGION_TAG}`"),
                *((("Already there", existing_text(existing)),) if existing else ()),
            ),
            permission=Permission.COPY,
            warning=warning,
        )
    )


def existing_copies(ctx: Context, source: Image, region: str) -> list[Copy]:
    """What `region` already holds of `source`, as `ami copies` finds it: its copies (of copies too) and the
    original it was copied from, when they are available or pending."""
    family = group_copies(source, list_owned(ctx.services.aws, region)).get(region, [])
    return [c for c in family if c.kind in (COPY, ORIGINAL) and c.image.state in LIVE_STATES]


def existing_text(existing: list[Copy]) -> str:
    return ", ".join(
        f"{c.image.id} ({c.image.state}{', its original' if c.kind == ORIGINAL else ''})" for c in existing[:3]
    )


def already_copied(source: Image, region: str, existing: list[Copy]) -> str:
    return (
        f"{region} already has a copy of {source.id}: {existing_text(existing)}. Confirm only if you want another one."
    )


class ImageCopyFailed(CommandError):
    """EC2 reported the copy as failed (or it vanished while the job waited)."""


@job_kind("ami.copy", timeout=2 * 3600, retries=3, needs=(Need.AWS,))
def copy_job(ctx: Context, progress: Progress, args: dict[str, Any]) -> JobResult:
    """Copy the AMI, tag the copy with its source, and wait until it is available."""
    clients = ctx.services.aws
    region, source_region = str(args["region"]), str(args["source_region"])
    check_copy(ctx.services.policy, region)  # the policy may have changed since the confirmation
    progress.update(0.02, f"checking {args['ami']} in {source_region}")
    source = describe_image(clients, source_region, str(args["ami"]))
    if source is None:
        raise ImageCopyFailed(f"`{args['ami']}` is gone from `{source_region}`; nothing was copied.")
    token = str(args.get("confirmation") or progress.job_id)
    new_id = copy_image(clients, source, region, str(args["name"]), token)
    progress.update(0.05, f"copying to {region} as {new_id}")
    image = _wait_for_image(ctx, progress, region, new_id, float(args.get("poll", POLL_SECONDS)))
    ensure_tags(clients, region, new_id, image.tags, source_tags(source))
    return JobResult(
        f"Copied {source.id} to {region}: {new_id} is available.",
        fields=(
            ("New AMI", new_id),
            ("Region", region),
            ("Name", image.name),
            ("Source", f"{source.id} ({source_region})"),
        ),
    )


def _wait_for_image(ctx: Context, progress: Progress, region: str, ami_id: str, poll: float) -> Image:
    started = time.monotonic()
    while True:
        image = describe_image(ctx.services.aws, region, ami_id)
        state = image.state if image else "not visible yet"
        if image is not None and image.state == "available":
            return image
        if image is not None and image.state in ("failed", "error", "invalid", "deregistered"):
            reason = image.data.get("StateReason") or {}
            why = reason.get("Message") or reason.get("Code") or "EC2 gave no reason"
            raise ImageCopyFailed(f"The copy {ami_id} in `{region}` {image.state}: {why}.")
        elapsed = time.monotonic() - started
        progress.update(min(0.95, 0.05 + elapsed / 3600), f"{ami_id} in {region}: {state} ({elapsed:.0f} s)")
        time.sleep(poll)
