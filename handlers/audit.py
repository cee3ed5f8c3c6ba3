"""`/image audit`: who ran what, where, and what came of it (admins only)."""

from __future__ import annotations

import re
import time

import redis

from bot.core.command import PREFIX, Command
from bot.core.errors import CommandError
from bot.core.formatting import compact_duration
from bot.core.markup import Mrkdwn, channel, md, mention
from bot.core.parts import Footer, Header, Text
from bot.core.permissions import Permission
from bot.core.reply import Reply
from bot.core.text import echo
from bot.framework.context import Context
from bot.framework.options import Number
from bot.framework.options import Text as TextOption
from bot.framework.subcommand import subcommand

MAX_LIMIT = 200
MENTION = re.compile(r"^<@([A-Z0-9]+)(?:\|[^>]*)?>$")
USER_ID = re.compile(r"[A-Z][A-Z0-9_]{1,40}")


def slack_user(value: str) -> str:
    """`--user`: a Slack user id, or a mention of one."""
    mention = MENTION.match(value)
    user = mention.group(1) if mention else value.strip().upper()
    if not USER_ID.fullmatch(user):
        raise CommandError(f"`{echo(value)}` is not a Slack user id. Try `{PREFIX} audit --user U0123ABCD`.")
    return user


@subcommand(
    "audit",
    example=f"{PREFIX} audit --user U0123ABCD --limit 50",
    options={"user": TextOption(convert=slack_user), "limit": Number(1, MAX_LIMIT, default=20)},
    permission=Permission.ADMIN,
)
def show_audit(ctx: Context, cmd: Command) -> Reply:
    """Show the audit log of commands, newest first (admins)."""
    user = cmd.option("user")
    try:
        entries = ctx.services.audit.entries(user_id=user, limit=cmd.number("limit"))
    except redis.RedisError:
        raise CommandError(
            "The audit log is unavailable (Redis does not answer); entries still go to the log."
        ) from None
    if not entries:
        return Reply.message(md("No audit entries for {}.", mention(user)) if user else "No audit entries.")
    now = time.time()
    lines = [_line(e, now) for e in entries]
    title = f"Audit log for {user}" if user else "Audit log"
    return Reply(
        parts=[
            Header(title),
            Text(Mrkdwn("\n").join(lines)),
            Footer(f"{len(entries)} newest entries; `--limit N` for more (up to {MAX_LIMIT})."),
        ]
    )


def _line(entry: dict[str, str], now: float) -> Mrkdwn:
    job = md(", job `{}`", entry["job_id"]) if entry.get("job_id") else ""
    return md(
        "`{}` {} in {}: `{}` → {}, {}{}",
        compact_duration(now - float(entry["ts"])),
        mention(entry.get("user", "?")),
        _where(entry),
        entry.get("text", "")[:120],
        entry.get("decision", "?"),
        entry.get("outcome", "?"),
        job,
    )


def _where(entry: dict[str, str]) -> Mrkdwn:
    where = entry.get("channel", "")
    if entry.get("transport") == "slack" and where:
        return channel(where)
    return Mrkdwn.escape(entry.get("transport", "?"))
