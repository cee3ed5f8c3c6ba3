"""What the instance commands share: one instance on a line, its owner, age and expiry, and finding it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.aws.lifecycle import Instance, get_instance
from bot.core.command import PREFIX
from bot.core.errors import CommandError
from bot.core.formatting import time_ago
from bot.core.markup import Mrkdwn, md, mention
from bot.framework.context import Context

EXTEND_BY = "8h"  # the expiry warning's button, and `extend`'s default

STATE_ICON = {  # the ones the terminal shows too (bot.core.terminal)
    "running": ":white_check_mark:",
    "pending": ":hourglass_flowing_sand:",
    "stopping": ":hourglass_flowing_sand:",
    "shutting-down": ":hourglass_flowing_sand:",
    "terminated": ":x:",
}


def owner_text(instance: Instance) -> Mrkdwn:
    return mention(instance.owner) if instance.owner else Mrkdwn("_not launched through imagebot_")


def age_text(instance: Instance, now: datetime) -> str:
    launched = instance.launched
    return f"launched {time_ago(launched, now)}" if launched else "launch time unknown"


def expiry_text(instance: Instance, now: datetime) -> str:
    """`expires in 5 hours`, `:warning: expired 2 hours ago`, or `no expiry`."""
    return expires_text(instance.expires, now)


def expires_text(expires: datetime | None, now: datetime) -> str:
    """`expiry_text` for a moment (None: `no expiry`)."""
    if expires is None:
        return "no expiry"
    stamp = expires.strftime("%Y-%m-%d %H:%M UTC")
    if expires <= now:
        return f":warning: expired {time_ago(expires, now)} ({stamp})"
    return f"expires {time_ago(expires, now)} ({stamp})"


def state_text(instance: Instance) -> str:
    icon = STATE_ICON.get(instance.state)
    return f"{icon} {instance.state}" if icon else instance.state


def instance_line(instance: Instance, now: datetime) -> Mrkdwn:
    """`i-0abc` *name* · state · type · AMI · region · owner · age · expiry (names and tags escaped)."""
    name = md(" *{}*", instance.name) if instance.name else Mrkdwn("")
    return md(
        "`{}`{} · {} · `{}` · `{}` · `{}` · {} · {} · {}",
        instance.id,
        name,
        state_text(instance),
        instance.type,
        instance.ami,
        instance.region,
        owner_text(instance),
        age_text(instance, now),
        expiry_text(instance, now),
    )


def instance_json(instance: Instance) -> dict[str, Any]:
    launched, expires = instance.launched, instance.expires
    return {
        "id": instance.id,
        "name": instance.name,
        "state": instance.state,
        "type": instance.type,
        "ami": instance.ami,
        "region": instance.region,
        "owner": instance.owner,
        "launched": launched.isoformat() if launched else None,
        "expires": expires.isoformat() if expires else None,
    }


def find_instance(ctx: Context, region: str, instance_id: str) -> Instance:
    """The instance in `region`; otherwise what to type instead."""
    instance = get_instance(ctx.services.aws, region, instance_id)
    if instance is None:
        raise CommandError(
            f"`{instance_id}` was not found in `{region}`. Give its region with `--region R`, "
            f"or find it with `{PREFIX} instances --region all`."
        )
    return instance
