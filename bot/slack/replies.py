"""A Reply as Slack message arguments, and a proposal turned into Confirm/Cancel: shared by every Slack listener."""

from __future__ import annotations

from typing import Any

from bot.core.command import PREFIX, Command
from bot.core.reply import Reply
from bot.dispatch import confirm
from bot.framework.context import Context


def message_payload(reply: Reply) -> dict[str, Any]:
    """Arguments for ack(), respond() or say(): the same Reply in every Slack path."""
    return {"text": reply.text, "blocks": reply.to_blocks()}


def settle(ctx: Context, reply: Reply, cmd: Command) -> Reply:
    """A costly action's proposal becomes Confirm/Cancel buttons; any other reply stays as it is."""
    return confirm.offer(ctx, reply, cmd.text or f"{PREFIX} {cmd.name}") if reply.proposal else reply


def restarted(what: str) -> Reply:
    """What a person is told when the bot stops before it could answer them."""
    return Reply.error(f"The bot was restarted before it finished `{what}`; nothing was changed. Please try again.")
