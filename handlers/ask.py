"""`/image ask`: answers from the curated knowledge base, or an honest "I don't know"."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from bot.commands import PREFIX, Command, Context, subcommand
from bot.errors import CommandError
from bot.reply import Button, Buttons, Fields, Header, Reply, Text
from bot.reply import Context as Footer
from knowledge.base import Entry, entries_by_id, load_entries
from knowledge.search import Index, Match

LABEL = 45
TOP = 5


@cache
def index() -> Index:
    """The search index, built once per process on first use."""
    return Index(load_entries())


@dataclass(frozen=True)
class Answer:
    question: str
    match: Match | None  # the confident match, if any
    nearest: tuple[Match, ...]

    def to_json(self) -> dict[str, Any]:
        m = self.match
        return {
            "matched": m is not None,
            "id": m.entry.id if m else None,
            "title": m.entry.title if m else None,
            "answer": m.entry.answer if m else None,
            "score": round(m.score, 3) if m else (round(self.nearest[0].score, 3) if self.nearest else 0.0),
            "sources": [{"title": s.title, "url": s.url, "seed": s.seed} for s in m.entry.sources] if m else [],
            "related": list(m.entry.related) if m else [e.entry.id for e in self.nearest[:3]],
        }


def find_answer(question: str) -> Answer:
    """The best entry that confidently answers the question, and the nearest topics."""
    matches = index().search(question, limit=TOP)
    confident = next((m for m in matches if m.confident), None)
    return Answer(question, confident, tuple(matches))


def ask_json(question: str) -> dict[str, Any]:
    return find_answer(question).to_json()


@subcommand(
    "ask",
    usage=f"{PREFIX} ask <question>",
    example=f"{PREFIX} ask can I turn a docker image into an AMI?",
    options=("id",),
    flags=("shared",),
    free_text=True,
)
def ask(ctx: Context, cmd: Command) -> Reply:
    """Answer a question about Docker images and AMIs from the curated knowledge base."""
    entry_id = cmd.option("id")
    if entry_id:
        entry = entries_by_id().get(entry_id)
        if entry is None:
            raise CommandError(f"There is no knowledge base entry `{entry_id}`. Ask in your own words instead.")
        return entry_reply(entry, ctx, shared=cmd.flag("shared"))
    question = " ".join(cmd.args).strip()
    if not question:
        raise CommandError(f"Ask me a question, like `{PREFIX} ask can I turn a docker image into an AMI?`")
    answer = find_answer(question)
    if answer.match is None:
        return no_match_reply(answer)
    reply = entry_reply(answer.match.entry, ctx, shared=cmd.flag("shared"))
    reply.data = answer.to_json()
    return reply


def entry_reply(entry: Entry, ctx: Context, shared: bool = False) -> Reply:
    sources = " · ".join(s.mrkdwn() for s in entry.sources)
    footer = f"Sources: {sources}"
    if shared:
        footer = f"Shared by <@{ctx.user_id}> · " + footer
    parts: list[Any] = [Header(entry.title), Text(entry.answer), Footer(footer)]
    buttons = related_buttons(entry.related)
    if not shared:
        buttons.append(share_button(f"{PREFIX} ask --id {entry.id} --shared"))
    parts.append(Buttons(tuple(buttons)))
    return Reply(parts=parts, ephemeral=not shared, data={"matched": True, "id": entry.id, "title": entry.title})


def no_match_reply(answer: Answer) -> Reply:
    nearest = [m.entry.id for m in answer.nearest[:3]]
    parts: list[Any] = [
        Text(
            "I don't have a confident answer to that, and I would rather not guess. "
            "I know about Docker images, AMIs, and running them on AWS."
        )
    ]
    if nearest:
        titles = "\n".join(f"• {entries_by_id()[i].title}" for i in nearest)
        parts.append(Fields((("Closest topics I do know", titles),)))
        parts.append(Buttons(tuple(related_buttons(nearest))))
    parts.append(Footer(f"Try other key words, `{PREFIX} compare` for the side-by-side, or `{PREFIX} help`."))
    return Reply(parts=parts, data=answer.to_json())


def related_buttons(ids: tuple[str, ...] | list[str]) -> list[Button]:
    """Up to three buttons that open other entries (privately)."""
    known = entries_by_id()
    return [
        Button(_short(known[i].title), f"imagebot.run.{n}", value=f"{PREFIX} ask --id {i}")
        for n, i in enumerate([i for i in ids if i in known][:3])
    ]


def share_button(command_text: str) -> Button:
    return Button("Share in channel", "imagebot.share", value=command_text, style="primary")


def _short(title: str) -> str:
    return title if len(title) <= LABEL else title[: LABEL - 1].rstrip() + "…"
