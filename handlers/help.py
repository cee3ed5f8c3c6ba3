"""`/image help`: every subcommand the caller may run, a group's subcommands, or one's forms and example."""

from __future__ import annotations

from bot.core.command import PREFIX, Command
from bot.core.errors import CommandError
from bot.core.formatting import did_you_mean
from bot.core.parts import Fields, Footer, Header, Text
from bot.core.reply import Reply
from bot.core.text import echo
from bot.framework.context import Context
from bot.framework.subcommand import Subcommand, subcommand


@subcommand(
    "help",
    example=f"{PREFIX} help ami status",
    forms=("[subcommand...]",),
)
def show_help(ctx: Context, cmd: Command) -> Reply:
    """List every subcommand, or show how to use one."""
    registry = ctx.subcommands
    if cmd.args:
        name = " ".join(cmd.args).lower().removeprefix(PREFIX).strip()
        spec = registry.get(name)
        if spec is not None:
            return one_reply(spec)
        members = registry.group(name)
        if members:
            return group_reply(name, members)
        hint = did_you_mean(registry.suggest(name))
        raise CommandError(f"There is no subcommand `{echo(name)}`.{hint} Type `{PREFIX} help` for the list.")
    allowed = [spec for spec in registry.commands() if ctx.may(spec.permission)]
    lines = [f"`{PREFIX} {spec.name}`  {spec.summary}" for spec in allowed]
    return Reply(
        parts=[
            Header("imagebot: Docker images and AMIs from chat"),
            Text("\n".join(lines)),
            Footer(
                f"`{PREFIX} help <subcommand>` shows its usage and an example. DM me or @mention me to ask a question."
            ),
        ]
    )


def one_reply(spec: Subcommand) -> Reply:
    """A subcommand's summary, every form it takes (one usage line each) and an example."""
    usage = "\n".join(f"`{line}`" for line in spec.usages)
    return Reply(
        parts=[
            Header(f"{PREFIX} {spec.name}"),
            Text(spec.summary),
            Fields((("Usage", usage), ("Example", f"`{spec.example}`"))),
        ]
    )


def group_reply(group: str, members: list[Subcommand]) -> Reply:
    """`help ami`: each subcommand of the group with its summary and usage lines."""
    blocks = [
        f"*{PREFIX} {spec.name}*  {spec.summary}\n" + "\n".join(f"`{line}`" for line in spec.usages) for spec in members
    ]
    return Reply(
        parts=[
            Header(f"{PREFIX} {group}"),
            Text("\n\n".join(blocks)),
            Footer(f"More on one: `{PREFIX} help {members[0].name}`."),
        ]
    )
