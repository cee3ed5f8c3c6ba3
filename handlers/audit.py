"""`/image audit`: who ran what, where, and what came of it (admins only)."""

from __future__ import annotations

import re
import time

import redis

from bot.commands import PREFIX, Command, Context, subcommand
from bot.errors import CommandError
from bot.jobs import age
from bot.reply import Context as Footer
from bot.reply import Header, Reply, Text

MAX_LIMIT = 200
MENTION = re.compile(r"^<@([A-Z0-9]+)(?:\|[^>]*)?>$")


@subcommand(
    "audit",
    usage=f"{PREFIX} audit [--user U] [--limit N]",
    example=f"{PREFIX} audit --user U0123ABCD --limit 50",
    options=("user", "limit"),
    max_args=0,
    permission="admin",
)
def show_audit(ctx: Context, cmd: Command) -> Reply:
    """Show the audit log of commands, newest first (admins)."""
    user = _user(cmd.option("user"))
    limit = _limit(cmd.option("limit"))
    try:
        entries = ctx.services.audit.entries(user_id=user, limit=limit)
    except redis.RedisError:
        raise CommandError(
            "The audit log is unavailable (Redis does not answer); entries still go to the log."
        ) from None
    if not entries:
        return Reply.message("No audit entries" + (f" for <@{user}>." if user else "."))
    now = time.time()
    lines = [
        f"`{age(now - float(e['ts']))}` <@{e['user']}> in {_where(e)}: `{e['text'][:120]}` "
        f"→ {e['decision']}, {e['outcome']}" + (f", job `{e['job_id']}`" if e.get("job_id") else "")
        for e in entries
    ]
    title = f"Audit log for <@{user}>" if user else "Audit log"
    return Reply(
        parts=[
            Header(title.replace("<@", "").replace(">", "")),
            Text("\n".join(lines)),
            Footer(f"{len(entries)} newest entries; `--limit N` for more (up to {MAX_LIMIT})."),
        ]
    )


def _where(entry: dict[str, str]) -> str:
    channel = entry.get("channel", "")
    return f"<#{channel}>" if entry.get("transport") == "slack" and channel else entry.get("transport", "?")


def _user(value: str | None) -> str | None:
    if not value:
        return None
    mention = MENTION.match(value)
    user = mention.group(1) if mention else value.strip().upper()
    if not re.fullmatch(r"[A-Z][A-Z0-9_]{1,40}", user):
        raise CommandError(f"`{value}` is not a Slack user id. Try `{PREFIX} audit --user U0123ABCD`.")
    return user


def _limit(value: str | None) -> int:
    if value is None:
        return 20
    if not value.isdigit() or not 1 <= int(value) <= MAX_LIMIT:
        raise CommandError(f"`--limit` takes a number from 1 to {MAX_LIMIT}, like `{PREFIX} audit --limit 50`.")
    return int(value)
