"""Confirmation for costly actions (launch, copy): propose, then confirm, then start the job.

A handler for a costly action validates everything and returns a Reply that
carries a `Proposal` (what would run, a summary for the person). Then:
- Slack: the proposal is kept in Redis for ten minutes and shown with a
  Confirm button (behind Slack's confirm dialog) and a Cancel button; only
  the requester can click them, once; the buttons are replaced by the outcome.
- the shell asks yes/no; `imagebot run` needs `--yes` and otherwise refuses.
The confirmation id goes into the job's arguments, so a job started from one
confirmation has a stable identity (the launch job derives its ClientToken
from it).
"""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import redis

from bot.commands import PREFIX, Context
from bot.errors import CommandError
from bot.reply import Button, Buttons, Confirm, Fields, Header, Reply, Text
from bot.reply import Context as Footer

if TYPE_CHECKING:
    from collections.abc import Callable

TTL_SECONDS = 600
KEY = "imagebot:confirm:{0}"
CONFIRM_ACTION = "imagebot.confirm"
CANCEL_ACTION = "imagebot.cancel"


@dataclass(frozen=True)
class Proposal:
    """A costly action, validated and ready to start once confirmed."""

    kind: str  # the job kind to submit
    args: dict[str, Any]
    target: str  # one line, e.g. "launching t3.micro from ami-0abc in us-east-1"
    title: str  # e.g. "Launch an instance from ami-0abc?"
    summary: tuple[tuple[str, str], ...] = ()
    permission: str = "read"
    warning: str = "This costs money."
    extra: dict[str, Any] = field(default_factory=dict)


def proposal_reply(proposal: Proposal) -> Reply:
    """What a costly handler returns: the summary, carrying the proposal for the transport."""
    parts: list[Any] = [Header(proposal.title)]
    if proposal.summary:
        parts.append(Fields(proposal.summary))
    parts.append(Text(proposal.warning))
    return Reply(parts=parts, proposal=proposal)


def new_confirmation_id() -> str:
    return secrets.token_hex(8)


# ----------------------------------------------------------------- Slack


def offer(ctx: Context, reply: Reply, command_text: str) -> Reply:
    """Keep the proposal for ten minutes and show it with Confirm and Cancel buttons."""
    proposal: Proposal = reply.proposal
    cid = new_confirmation_id()
    pending = {
        "user": ctx.user_id,
        "channel": ctx.channel_id,
        "created": time.time(),
        "text": command_text,
        **_encode(proposal),
    }
    try:
        ctx.services.redis.set(KEY.format(cid), json.dumps(pending), ex=TTL_SECONDS + 60)
    except redis.RedisError:
        return Reply.error("The job store is unavailable, so I cannot start this now. Try again in a minute.")
    dialog = Confirm(title="Are you sure?", text=f"{proposal.target}. {proposal.warning}", confirm="Yes, do it")
    buttons = Buttons(
        (
            Button("Confirm", CONFIRM_ACTION, value=cid, style="danger", confirm=dialog),
            Button("Cancel", CANCEL_ACTION, value=cid),
        )
    )
    footer = Footer(f"Only <@{ctx.user_id}> can confirm, within 10 minutes.")
    return Reply(parts=[*reply.parts, buttons, footer], data={"confirmation": cid})


def resolve(ctx: Context, cid: str, accepted: bool) -> tuple[Reply, bool]:
    """A Confirm or Cancel click: (reply, whether it replaces the message with the buttons)."""
    key = KEY.format(cid)
    try:
        raw = ctx.services.redis.get(key)
        if raw is None:
            return _gone(), False
        pending = json.loads(raw)  # type: ignore[arg-type]
        if pending["user"] != ctx.user_id:
            return Reply.error(f"Only <@{pending['user']}> can confirm or cancel this."), False
        if ctx.services.redis.getdel(key) is None:  # a double click: the first one won
            return _gone(), False
    except redis.RedisError:
        return Reply.error("The job store is unavailable; nothing was started. Try again in a minute."), False
    proposal = _decode(pending)
    if time.time() - float(pending["created"]) > TTL_SECONDS:
        again = pending.get("text") or f"{PREFIX} help"
        return Reply.error(
            f"This confirmation expired (after 10 minutes); nothing was started. Run `{again}` again."
        ), True
    if not accepted:
        return Reply.message(f"Canceled by <@{ctx.user_id}>: {proposal.target} was not started."), True
    return accept(ctx, proposal, cid), True


def _gone() -> Reply:
    return Reply.error("This confirmation expired or was already used. Run the command again to start over.")


# ----------------------------------------------------------------- shell


def prompt(ctx: Context, reply: Reply, ask: Callable[[str], str]) -> Reply:
    """The shell's yes/no question."""
    proposal: Proposal = reply.proposal
    answer = ask(f"Confirm {proposal.target}? [y/N] ").strip().lower()
    if answer not in ("y", "yes"):
        return Reply.message("Canceled: nothing was started.")
    return accept(ctx, proposal, new_confirmation_id())


def accept_now(ctx: Context, reply: Reply) -> Reply:
    """`imagebot run --yes`: confirmed on the command line."""
    return accept(ctx, reply.proposal, new_confirmation_id())


def refuse(reply: Reply, command_text: str) -> Reply:
    """`imagebot run` without --yes."""
    proposal: Proposal = reply.proposal
    return Reply.error(
        f"Not started: {proposal.target} needs confirmation. {proposal.warning} "
        f'Run it again with --yes to confirm: `imagebot run "{command_text}" --yes`'
    )


# ---------------------------------------------------------------- common


def accept(ctx: Context, proposal: Proposal, cid: str) -> Reply:
    """Start the confirmed job (permission checked again: it may have changed since)."""
    from bot.jobs import submit
    from handlers.jobs import started_reply

    try:
        ctx.services.access.check(ctx, proposal.permission)
        record, created = submit(ctx, proposal.kind, {**proposal.args, "confirmation": cid}, proposal.target)
    except CommandError as exc:
        return Reply.error(exc.message)
    reply = started_reply(record, created)
    ctx.services.audit.record(ctx, f"confirm {cid}", proposal.kind, "confirmed", "ok", record.id)
    return reply


def _encode(proposal: Proposal) -> dict[str, Any]:
    return {
        "kind": proposal.kind,
        "args": proposal.args,
        "target": proposal.target,
        "title": proposal.title,
        "permission": proposal.permission,
        "warning": proposal.warning,
    }


def _decode(pending: dict[str, Any]) -> Proposal:
    return Proposal(
        kind=pending["kind"],
        args=pending["args"],
        target=pending["target"],
        title=pending["title"],
        permission=pending["permission"],
        warning=pending["warning"],
    )
