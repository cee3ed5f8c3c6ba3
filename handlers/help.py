"""`/image help`: every subcommand the caller may run, or one subcommand's usage and example."""

from __future__ import annotations

from bot.core.command import PREFIX, Command
from bot.core.errors import CommandError
from bot.core.formatting import did_you_mean
from bot.core.parts import Fields, Footer, Header, Text
from bot.core.reply import Reply
from bot.framework.context import Context
from bot.framework.subcommand import subcommand


@subcommand(
    "help",
    usage=f"{PREFIX} help [subcommand]",
    example=f"{PREFIX} help ami status",
    max_args=3,
)
def show_help(ctx: Context, cmd: Command) -> Reply:
    """List every subcommand, or show how to use one."""
    registry = ctx.subcommands
    if cmd.args:
        name = " ".join(cmd.args).lower().removeprefix(PREFIX).strip()
        spec = registry.get(name)
        if spec is None:
            hint = did_you_mean(registry.suggest(name))
            raise CommandError(f"There is no subcommand `{name}`.{hint} Type `{PREFIX} help` for the list.")
        return Reply(
            parts=[
                Header(f"{PREFIX} {spec.name}"),
                Text(spec.summary),
                Fields((("Usage", f"`{spec.usage}`"), ("Example", f"`{spec.example}`"))),
            ]
        )
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
