"""Confirmation for costly actions (launch, copy): a proposal is confirmed, then its job is started.

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
from collections.abc import Callable
from typing import Any

import redis

from bot.core.command import PREFIX
from bot.core.errors import CommandError
from bot.core.markup import md, mention
from bot.core.parts import Button, Buttons, Confirm, Footer
from bot.core.proposal import Proposal
from bot.core.reply import Reply
from bot.framework.context import Context
from bot.framework.starting import started_reply, submit

TTL_SECONDS = 600
KEY = "imagebot:confirm:{0}"
CONFIRM_ACTION = "imagebot.confirm"
CANCEL_ACTION = "imagebot.cancel"


def new_confirmation_id() -> str:
    return secrets.token_hex(8)


def _proposal(reply: Reply) -> Proposal:
    if reply.proposal is None:
        raise ValueError("this reply proposes nothing to confirm")
    return reply.proposal


# ----------------------------------------------------------------- Slack


def offer(ctx: Context, reply: Reply, command_text: str) -> Reply:
    """Keep the proposal for ten minutes and show it with Confirm and Cancel buttons."""
    proposal = _proposal(reply)
    cid = new_confirmation_id()
    pending: dict[str, Any] = {
        "user": ctx.user_id,
        "channel": ctx.channel_id,
        "created": time.time(),
        "text": command_text,
        **proposal.to_json(),
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
    footer = Footer(md("Only {} can confirm, within 10 minutes.", mention(ctx.user_id)))
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
            return Reply.error(md("Only {} can confirm or cancel this.", mention(pending["user"]))), False
        if ctx.services.redis.getdel(key) is None:  # a double click: the first one won
            return _gone(), False
    except redis.RedisError:
        return Reply.error("The job store is unavailable; nothing was started. Try again in a minute."), False
    proposal = Proposal.from_json(pending)
    if time.time() - float(pending["created"]) > TTL_SECONDS:
        again = pending.get("text") or f"{PREFIX} help"
        return Reply.error(
            f"This confirmation expired (after 10 minutes); nothing was started. Run `{again}` again."
        ), True
    if not accepted:
        return Reply.message(md("Canceled by {}: {} was not started.", mention(ctx.user_id), proposal.target)), True
    return accept(ctx, proposal, cid), True


def _gone() -> Reply:
    return Reply.error("This confirmation expired or was already used. Run the command again to start over.")


# ----------------------------------------------------------------- shell


def prompt(ctx: Context, reply: Reply, ask: Callable[[str], str]) -> Reply:
    """The shell's yes/no question."""
    proposal = _proposal(reply)
    answer = ask(f"Confirm {proposal.target}? [y/N] ").strip().lower()
    if answer not in ("y", "yes"):
        return Reply.message("Canceled: nothing was started.")
    return accept(ctx, proposal, new_confirmation_id())


def accept_now(ctx: Context, reply: Reply) -> Reply:
    """`imagebot run --yes`: confirmed on the command line."""
    return accept(ctx, _proposal(reply), new_confirmation_id())


def refuse(reply: Reply, command_text: str) -> Reply:
    """`imagebot run` without --yes."""
    proposal = _proposal(reply)
    return Reply.error(
        f"Not started: {proposal.target} needs confirmation. {proposal.warning} "
        f'Run it again with --yes to confirm: `imagebot run "{command_text}" --yes`'
    )


# ---------------------------------------------------------------- common


def accept(ctx: Context, proposal: Proposal, cid: str) -> Reply:
    """Start the confirmed job (permission checked again: it may have changed since)."""
    try:
        ctx.check(proposal.permission)
        record, created = submit(ctx, proposal.kind, {**proposal.args, "confirmation": cid}, proposal.target)
    except CommandError as exc:
        return Reply.error(exc.message)
    reply = started_reply(record, created)
    ctx.audit(f"confirm {cid}", proposal.kind, "confirmed", "ok", record.id)
    return reply
