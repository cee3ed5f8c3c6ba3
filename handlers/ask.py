"""`/image ask`: answers from the curated knowledge base, or an honest "I don't know"."""

from __future__ import annotations

from bot.core.command import PREFIX, Command
from bot.core.errors import CommandError
from bot.core.markup import Mrkdwn, md, mention
from bot.core.parts import Buttons, Fields, Footer, Header, Part, Text
from bot.core.reply import Reply
from bot.framework.context import Context
from bot.framework.options import Flag
from bot.framework.options import Text as TextOption
from bot.framework.subcommand import subcommand
from handlers.shared.topics import related_buttons, share_button
from knowledge.answers import Answer, find_answer
from knowledge.base import Entry, entries_by_id


@subcommand(
    "ask",
    usage=f"{PREFIX} ask <question>",
    example=f"{PREFIX} ask can I turn a docker image into an AMI?",
    options={"id": TextOption(), "shared": Flag()},
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
    footer = md("Sources: {}", Mrkdwn(" · ").join(s.mrkdwn() for s in entry.sources))
    if shared:
        footer = md("Shared by {} · {}", mention(ctx.user_id), footer)
    parts: list[Part] = [Header(entry.title), Text(entry.answer), Footer(footer)]
    buttons = related_buttons(entry.related)
    if not shared:
        buttons.append(share_button(f"{PREFIX} ask --id {entry.id} --shared"))
    parts.append(Buttons(tuple(buttons)))
    return Reply(parts=parts, ephemeral=not shared, data={"matched": True, "id": entry.id, "title": entry.title})


def no_match_reply(answer: Answer) -> Reply:
    nearest = [m.entry.id for m in answer.nearest[:3]]
    parts: list[Part] = [
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
