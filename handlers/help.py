"""`/image help`: every subcommand, or one subcommand's usage and example."""

from __future__ import annotations

from bot.commands import PREFIX, Command, Context, registry_of, subcommand
from bot.errors import CommandError
from bot.reply import Context as Footer
from bot.reply import Fields, Header, Reply, Text


@subcommand(
    "help",
    usage=f"{PREFIX} help [subcommand]",
    example=f"{PREFIX} help ami status",
    max_args=3,
)
def show_help(ctx: Context, cmd: Command) -> Reply:
    """List every subcommand, or show how to use one."""
    registry = registry_of(ctx)
    if cmd.args:
        name = " ".join(cmd.args).lower().removeprefix(PREFIX).strip()
        spec = registry.get(name)
        if spec is None:
            close = registry.suggest(name)
            hint = f" Did you mean {' or '.join(f'`{c}`' for c in close)}?" if close else ""
            raise CommandError(f"There is no subcommand `{name}`.{hint} Type `{PREFIX} help` for the list.")
        return Reply(
            parts=[
                Header(f"{PREFIX} {spec.name}"),
                Text(spec.summary),
                Fields((("Usage", f"`{spec.usage}`"), ("Example", f"`{spec.example}`"))),
            ]
        )
    allowed = [spec for spec in registry.commands() if ctx.services.access.may(ctx, spec.permission)]
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
