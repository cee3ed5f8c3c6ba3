"""The App Home view: a user's permissions, recent jobs, running instances and buttons for common commands.

Jobs and instances come from `/image jobs` and `/image instances` run through the one command path
(access check, needs, audit), so the home shows what those commands show, formatted once. A command
that cannot answer (AWS unreachable, say) becomes its own one-line note; the home is published anyway.
"""

from __future__ import annotations

from slack_sdk.models.views import View

from bot.core.command import PREFIX
from bot.core.errors import CommandError
from bot.core.markup import Mrkdwn, md
from bot.core.parts import Button, Buttons, Divider, Footer, Header, Part, Text
from bot.core.permissions import ALL_PERMISSIONS, Permission
from bot.core.reply import Reply
from bot.dispatch.parse import parse
from bot.dispatch.run import execute
from bot.framework.context import Context
from handlers.shared.ami import OPEN_LAUNCH

RUN_ACTION = "imagebot.run"  # the button every reply uses: its value is a command dispatch parses
RECENT_JOBS = 5


def home_view(ctx: Context) -> View:
    """The home tab for `ctx`'s user; its private_metadata is the channel the home's buttons answer in."""
    parts: list[Part] = [Header("imagebot: Docker images and AMIs"), Text(permissions_line(ctx))]
    parts.append(Buttons(tuple(command_buttons(ctx))))
    parts += [Divider(), *section(ctx, f"{PREFIX} jobs --limit {RECENT_JOBS}")]
    if may_launch(ctx):
        parts += [Divider(), *section(ctx, f"{PREFIX} instances")]
    parts.append(Footer(f"DM me or @mention me to ask a question; `{PREFIX} help` lists every command."))
    view = View(type="home", blocks=Reply(parts=parts).to_blocks(), private_metadata=ctx.channel_id)
    view.validate_json()
    return view


def permissions_line(ctx: Context) -> Mrkdwn:
    """One line: what the user may do here, and whom to ask for more when that is only reading."""
    access = ctx.services.access
    granted = access.permissions(ctx.user_id, ctx.channel_id)
    names = Mrkdwn(" · ").join(md("`{}`", p) for p in ALL_PERMISSIONS if p in granted)
    line = md("*Your permissions:* {}", names)
    if granted == {Permission.READ}:
        line += md(" (ask, compare, status and look-ups). Ask {} to launch, copy or pull.", access.policy.contact)
    return line


def may_launch(ctx: Context) -> bool:
    """Whether `/image launch` would be allowed for this user here (its permission comes from the registry)."""
    spec = ctx.subcommands.get("launch")
    return spec is not None and ctx.may(spec.permission)


def command_buttons(ctx: Context) -> list[Button]:
    """Buttons for the common commands; launching ones only for someone who may launch."""
    buttons = [
        Button("Help", RUN_ACTION, f"{PREFIX} help"),
        Button("My jobs", RUN_ACTION, f"{PREFIX} jobs"),
        Button("Compare", RUN_ACTION, f"{PREFIX} compare"),
    ]
    if may_launch(ctx):
        buttons.append(Button("My instances", RUN_ACTION, f"{PREFIX} instances"))
        buttons.append(Button("Launch…", OPEN_LAUNCH, "", style="primary"))  # opens the launch form (bot.slack.modals)
    return buttons


def section(ctx: Context, text: str) -> list[Part]:
    """A command's reply as home parts (its buttons left out), or a header and its one-line reason when it failed."""
    try:
        command = parse(text, ctx.subcommands)
    except CommandError:  # a registry without this command (a test's, say): nothing to show
        return []
    reply = execute(ctx, command)
    if reply.ok:
        return [p for p in reply.parts if not isinstance(p, Buttons)]
    return [Header(f"Your {text.removeprefix(PREFIX).split()[0]}"), *reply.parts]
