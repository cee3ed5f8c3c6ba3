"""What the AMI commands share: how an AMI's state, deprecation and tags are shown, and finding a usable one."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.aws.images import Image, describe_image
from bot.core.command import PREFIX
from bot.core.errors import CommandError
from bot.core.formatting import when_text
from bot.framework.context import Context

STATE_ICON = {"available": ":white_check_mark:", "pending": ":hourglass_flowing_sand:", "failed": ":x:"}
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
    image = describe_image(ctx.services.aws, region, ami_id)
    if image is None:
        raise CommandError(
            f"`{ami_id}` was not found in `{region}`. Give the region it lives in with `{option} R`, "
            f"or find it with `{PREFIX} ami status {ami_id} --region all`."
        )
    if image.state != "available":
        raise CommandError(f"`{ami_id}` is {state_text(image)}; it must be available. Try again once it is.")
    return image
