"""`/image kb gaps` (admins: what the knowledge base could not answer, what was voted down) and `/image kb vote`."""

from __future__ import annotations

import json
import time
from dataclasses import asdict

from bot.core.command import PREFIX, Command
from bot.core.errors import CommandError
from bot.core.formatting import compact_duration
from bot.core.markup import Mrkdwn, md
from bot.core.parts import Footer, Header, Part, Text
from bot.core.permissions import Permission
from bot.core.reply import Reply
from bot.core.text import echo
from bot.framework.context import Context
from bot.framework.options import Flag, Number
from bot.framework.options import Text as TextOption
from bot.framework.subcommand import subcommand
from bot.jobs.store import store_errors
from knowledge.base import entries_by_id
from knowledge.feedback import PICKED, Gap, Votes

VOTES = ("up", "down")


@subcommand(
    "kb gaps",
    example=f"{PREFIX} kb gaps --limit 30",
    options={"limit": Number(1, 200, default=20), "json": Flag()},
    permission=Permission.ADMIN,
)
def kb_gaps(ctx: Context, cmd: Command) -> Reply:
    """Show what the knowledge base could not answer for sure, and its most down-voted answers (admins)."""
    with store_errors(ctx.settings):
        gaps = ctx.services.feedback.gaps(cmd.number("limit"))
        picks = ctx.services.feedback.picks(cmd.number("limit"))
        down = ctx.services.feedback.most_down_voted()
    data = {
        "gaps": [asdict(g) for g in gaps],
        "picked": [asdict(p) for p in picks],
        "down_voted": [asdict(v) for v in down],
    }
    if cmd.flag("json"):
        return Reply(parts=[Text(md("```\n{}\n```", json.dumps(data, indent=2, ensure_ascii=False)))], data=data)
    parts: list[Part] = [Header("Knowledge base gaps")]
    parts.append(Text(_gap_lines("Asked without a sure answer", gaps) if gaps else "No unanswered questions recorded."))
    if picks:
        parts.append(Text(_gap_lines('Picked from a "did you mean" (add as phrasings)', picks)))
    if down:
        parts.append(Text(md("*Most voted down*\n{}", Mrkdwn("\n").join(_vote_line(v) for v in down))))
    parts.append(Footer("Turn a gap into an entry or a phrasing (README: knowledge base). `--json` exports these."))
    return Reply(parts=parts, data=data)


def _gap_lines(heading: str, gaps: list[Gap]) -> Mrkdwn:
    now = time.time()
    lines = [
        md(
            "*{}×* {} · _{}_ · {} ago{}",
            g.times,
            g.question,
            g.kind,
            compact_duration(now - g.last_asked),
            md(" · {}: {}", "entry" if g.kind == PICKED else "nearest", ", ".join(g.candidates))
            if g.candidates
            else "",
        )
        for g in gaps
    ]
    return md("*{}*\n{}", heading, Mrkdwn("\n").join(lines))


def _vote_line(votes: Votes) -> Mrkdwn:
    entry = entries_by_id().get(votes.entry_id)
    title = entry.title if entry else votes.entry_id
    return md("👎 {} · 👍 {} · `{}` {}", votes.down, votes.up, votes.entry_id, title)


@subcommand(
    "kb vote",
    example=f"{PREFIX} kb vote ami-types up",
    forms=("<entry-id> up|down",),
    options={"question": TextOption(metavar="<what you asked>")},
)
def kb_vote(ctx: Context, cmd: Command) -> Reply:
    """Vote on a knowledge base answer (the 👍/👎 buttons under each answer do this)."""
    entry_id, direction = cmd.args[0], cmd.args[1].lower()
    if entry_id not in entries_by_id():
        raise CommandError(f"There is no knowledge base entry `{echo(entry_id)}`.")
    if direction not in VOTES:
        raise CommandError(f"Vote `up` or `down`, like `{PREFIX} kb vote {echo(entry_id)} up`.")
    with store_errors(ctx.settings):
        changed = ctx.services.feedback.vote(entry_id, ctx.user_id, direction == "up", cmd.option("question") or "")
    if not changed:
        return Reply.message(f"You already voted {'👍' if direction == 'up' else '👎'} on this answer; one vote each.")
    thanks = (
        "Thanks, that helps keep the answers right."
        if direction == "up"
        else ("Thanks. A person will look at this answer; `/image ask` in other words may find a better one.")
    )
    return Reply.message(thanks)
