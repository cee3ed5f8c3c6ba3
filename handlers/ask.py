"""`/image ask`: one sure answer from the curated knowledge base, a "did you mean", or an honest "I don't know".

Every answer carries 👍/👎 buttons (`/image kb vote`); questions left without a sure answer are
recorded for the curators (`/image kb gaps`).
"""

from __future__ import annotations

import logging
import shlex

import redis

from bot.core.command import PREFIX, Command
from bot.core.errors import CommandError
from bot.core.markup import Mrkdwn, md, mention
from bot.core.parts import Button, Buttons, Fields, Footer, Header, Part, Text
from bot.core.reply import Reply
from bot.core.text import echo
from bot.framework.context import Context
from bot.framework.options import Flag
from bot.framework.options import Text as TextOption
from bot.framework.subcommand import subcommand
from handlers.shared.topics import related_buttons, share_button, short_title
from knowledge.answers import Answer, find_answer
from knowledge.base import Entry, entries_by_id
from knowledge.feedback import CHOICES, NO_MATCH, PICKED
from knowledge.scope import Outside

log = logging.getLogger(__name__)
QUESTION_IN_BUTTON = 1000  # a button's value holds at most 2000 characters; the question rides along for 👎
EXAMPLE = f"{PREFIX} ask what is an AMI?"


@subcommand(
    "ask",
    example=f"{PREFIX} ask can I turn a docker image into an AMI?",
    forms=("<question>... [--shared]", "[--id] [--asked] [--shared]"),
    options={
        "id": TextOption(metavar="<entry-id>"),
        "shared": Flag(),
        "asked": TextOption(metavar="<question>"),
    },
    free_text=True,
)
def ask(ctx: Context, cmd: Command) -> Reply:
    """Answer a question about Docker images and AMIs from the curated knowledge base."""
    entry_id = cmd.option("id")
    if entry_id:
        entry = entries_by_id().get(entry_id)
        if entry is None:
            raise CommandError(f"There is no knowledge base entry `{echo(entry_id)}`. Ask in your own words instead.")
        asked = cmd.option("asked") or ""
        if asked:  # picked from a "did you mean": the curators learn a phrasing
            _record(ctx, asked, PICKED, [entry.id])
        return entry_reply(entry, ctx, shared=cmd.flag("shared"), question=asked)
    question = " ".join(cmd.args).strip()
    if not question:
        raise CommandError(f"Ask me a question, like `{EXAMPLE}`")
    answer = find_answer(question)
    if not answer.english:
        return Reply.message(f"I answer questions in English only. Please ask again in English, like `{EXAMPLE}`")
    if answer.match is None:
        _record_gap(ctx, answer)
        if answer.outside is not None:
            return outside_reply(answer, answer.outside)
        return choices_reply(answer) if answer.choices else no_match_reply(answer)
    reply = entry_reply(answer.match.entry, ctx, shared=cmd.flag("shared"), question=question)
    reply.data = answer.to_json()
    return reply


def entry_reply(entry: Entry, ctx: Context, shared: bool = False, question: str = "") -> Reply:
    footer = md("Sources: {}", Mrkdwn(" · ").join(s.mrkdwn() for s in entry.sources))
    if shared:
        footer = md("Shared by {} · {}", mention(ctx.user_id), footer)
    parts: list[Part] = [Header(entry.title), Text(entry.answer), Footer(footer)]
    buttons = related_buttons(entry.related)
    if not shared:
        buttons.append(share_button(f"{PREFIX} ask --id {entry.id} --shared"))
    parts.append(Buttons(tuple(buttons)))
    parts.append(Buttons(vote_buttons(entry.id, question)))
    return Reply(parts=parts, ephemeral=not shared, data={"matched": True, "id": entry.id, "title": entry.title})


def vote_buttons(entry_id: str, question: str) -> tuple[Button, Button]:
    down = f"{PREFIX} kb vote {entry_id} down"
    if question:
        down += f" --question {shlex.quote(question[:QUESTION_IN_BUTTON])}"
    return (
        Button("👍 Helpful", "imagebot.run.vote-up", value=f"{PREFIX} kb vote {entry_id} up"),
        Button("👎 Not helpful", "imagebot.run.vote-down", value=down),
    )


def choices_reply(answer: Answer) -> Reply:
    """Close but not sure: the best entries, to pick from (buttons in Slack, numbers in the shell)."""
    asked = shlex.quote(answer.question[:QUESTION_IN_BUTTON])
    buttons = tuple(
        Button(
            short_title(m.entry.title),
            f"imagebot.run.choice-{n}",
            value=f"{PREFIX} ask --id {m.entry.id} --asked {asked}",
        )
        for n, m in enumerate(answer.choices)
    )
    parts: list[Part] = [
        Text("I'm not sure which of these you mean. Did you mean one of them?"),
        Buttons(buttons, numbered=True),
        Footer(f"None of them? Try other key words, or `{PREFIX} compare` for the side-by-side."),
    ]
    return Reply(parts=parts, data=answer.to_json())


def no_match_reply(answer: Answer) -> Reply:
    nearest = [m.entry for m in answer.nearest[:3]]
    parts: list[Part] = [
        Text(
            "I don't have a confident answer to that, and I would rather not guess. "
            "I know about Docker images, AMIs, and running them on AWS."
        )
    ]
    if nearest:
        titles = "\n".join(f"• {e.title}" for e in nearest)
        parts.append(Fields((("Closest topics I do know", titles),)))
        parts.append(Buttons(tuple(related_buttons([e.id for e in nearest]))))
    parts.append(Footer(f"Try other key words, `{PREFIX} compare` for the side-by-side, or `{PREFIX} help`."))
    return Reply(parts=parts, data=answer.to_json())


def outside_reply(answer: Answer, topic: Outside) -> Reply:
    """Plainly another topic (knowledge.scope): say what the bot covers rather than offer unrelated entries."""
    text = md(
        "That sounds like {} (you mentioned `{}`), which I don't cover. "
        "I know about Docker images, AMIs, and running them on AWS.",
        topic.topic,
        echo(topic.named),
    )
    footer = (
        "About AMIs or Docker images after all? Ask again and name them (an AMI, ECR, a Dockerfile), "
        f"or `{PREFIX} help`."
    )
    return Reply(parts=[Text(text), Footer(footer)], data=answer.to_json())


def _record_gap(ctx: Context, answer: Answer) -> None:
    kind = CHOICES if answer.choices else NO_MATCH
    _record(ctx, answer.question, kind, [m.entry.id for m in (answer.choices or answer.nearest)[:3]])


def _record(ctx: Context, question: str, kind: str, candidates: list[str]) -> None:
    """For the curators; an answer never waits on it or fails for it."""
    try:
        ctx.services.feedback.record_gap(question, kind, candidates, ctx.user_id)
    except (redis.RedisError, OSError) as exc:
        log.warning("knowledge base gap not recorded", extra={"error": type(exc).__name__})
