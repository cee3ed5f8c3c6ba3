"""What the AMI commands share: how an AMI's state, deprecation and tags are shown, and finding one by id or name."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from bot.aws.images import Image, describe_image, find_by_name, validate_ami_id
from bot.aws.regions import enabled_regions, fan_out
from bot.aws.usage import RegionUsage
from bot.core.errors import CommandError
from bot.core.formatting import when_text
from bot.core.markup import Mrkdwn, md
from bot.core.parts import Button, Buttons, Part
from bot.core.permissions import Permission
from bot.core.text import echo
from bot.framework.context import Context

STATE_ICON = {"available": ":white_check_mark:", "pending": ":hourglass_flowing_sand:", "failed": ":x:"}
OPEN_LAUNCH = "imagebot.open.launch"  # buttons that open the launch and copy forms (bot.slack.modals)
OPEN_COPY = "imagebot.open.copy"
POLL_SECONDS = 10.0  # between describe calls while a job waits; `poll` in the job args overrides it


def state_text(image: Image) -> str:
    icon = STATE_ICON.get(image.state, ":warning:")
    reason = image.data.get("StateReason") or {}
    if image.state == "pending":
        return f"{icon} pending: still being created, check again in a few minutes"
    if image.state == "failed":
        return f"{icon} failed: {reason.get('Message') or reason.get('Code') or 'no reason given'}"
    return f"{icon} {image.state}"


def deprecation_text(when: datetime | None, now: datetime) -> str:
    if when is None:
        return "not set"
    if when <= now:
        return f":warning: deprecated since {when_text(when, now)}"
    return f"will be deprecated {when_text(when, now)}"


def tags_text(tags: dict[str, str]) -> str:
    return ", ".join(f"`{k}`=`{v}`" for k, v in sorted(tags.items())) or "none"


def image_json(image: Image) -> dict[str, Any]:
    created = image.created
    return {
        "id": image.id,
        "name": image.name,
        "region": image.region,
        "state": image.state,
        "created": created.isoformat() if created else None,
    }


def available_image(ctx: Context, region: str, ami_id: str, option: str) -> Image:
    """The AMI, which must exist in `region` and be available; otherwise what to type instead."""
    image = resolve_ami(ctx, ami_id, region, option)
    if image.state != "available":
        raise CommandError(f"`{ami_id}` is {state_text(image)}; it must be available. Try again once it is.")
    return image


def is_id_target(target: str) -> bool:
    """Whether a word the user gave for an AMI is meant as an id (`ami-…`) rather than a name or `*` pattern."""
    return target.strip().lower().startswith("ami-")


def resolve_ami(ctx: Context, target: str, region: str, option: str = "--region") -> Image:
    """The AMI a user named, by id or by name (`*` patterns too; the newest match wins), in one region.

    `ami status`, `ami copies` and `compare` take the same words for an AMI. When it is not in the
    region asked about, the other enabled regions are searched (only then), so the hint can name
    the regions where it is instead of a region picked at random.
    """
    target = target.strip()
    by_id = is_id_target(target)
    wanted = validate_ami_id(target) if by_id else target

    def look(where: str) -> list[Image]:
        if by_id:
            image = describe_image(ctx.services.aws, where, wanted)
            return [image] if image else []
        return find_by_name(ctx.services.aws, where, wanted)

    found = look(region)
    if found:
        return found[0]
    what = (
        f"`{wanted}` was not found in `{region}`"
        if by_id
        else f"No AMI you own named `{echo(wanted)}` is in `{region}`"
    )
    nowhere = "check the id" if by_id else "check the name (`*` matches any characters)"
    raise CommandError(f"{what}. {elsewhere_hint(ctx, look, region, option, nowhere)}")


def elsewhere_hint(ctx: Context, look: Callable[[str], list[Image]], asked: str, option: str, nowhere: str) -> str:
    """Where else the AMI is (add `--region R`), or that it is nowhere; the input itself is not repeated."""
    try:
        others = [r for r in enabled_regions(ctx.services.aws) if r != asked]
    except CommandError:  # the region list failed: say how to search, instead of this error
        return f"Add `{option} R` with the region it lives in."
    hits = [r.region for r in fan_out(ctx.services.aws, others, look) if r.value]
    if hits:
        tries = " or ".join(f"`{option} {r}`" for r in hits[:3])
        return f"It is in {', '.join(f'`{r}`' for r in hits[:3])}: add {tries}."
    return f"It is not in any other enabled region either: {nowhere}."


def form_buttons(ctx: Context, image: Image) -> list[Part]:
    """ "Launch…" and "Copy…" for an available AMI, each only for someone who may; they open a form in Slack."""
    value = f"{image.id} {image.region}"
    offered = ((Permission.LAUNCH, "Launch…", OPEN_LAUNCH), (Permission.COPY, "Copy…", OPEN_COPY))
    buttons = tuple(Button(label, action, value=value) for need, label, action in offered if ctx.may(need))
    return [Buttons(buttons)] if buttons and image.state == "available" else []


def usage_line(usage: RegionUsage) -> Mrkdwn:
    """`In us-east-1: 2 instances (1 running) · 1 launch template version · 0 Auto Scaling groups.`"""
    running = sum(1 for i in usage.instances if i.state == "running")
    return md(
        "In `{}`: {} ({} running) · {} · {}.",
        usage.region,
        _counted(len(usage.instances), "instance"),
        running,
        _counted(len(usage.templates), "launch template version"),
        _counted(len(usage.groups), "Auto Scaling group"),
    )


def plural(n: int, word: str) -> str:
    return word if n == 1 else f"{word}s"


def _counted(n: int, word: str) -> str:
    return f"{n} {plural(n, word)}"
