"""`/image compare`: Docker image versus AMI at a glance, or one dimension in depth."""

from __future__ import annotations

import difflib
from typing import Any

from bot.commands import PREFIX, Command, Context, subcommand
from bot.errors import CommandError
from bot.reply import Buttons, Fields, Header, Reply, Text
from bot.reply import Context as Footer
from handlers.ask import related_buttons, share_button
from knowledge.base import Dimension, load_dimensions

DOCKER = "Docker image"
AMI = "AMI"


@subcommand(
    "compare",
    usage=f"{PREFIX} compare [dimension]",
    example=f"{PREFIX} compare startup",
    flags=("shared",),
    max_args=2,
)
def compare(ctx: Context, cmd: Command) -> Reply:
    """Compare Docker images and AMIs side by side, or one dimension in depth."""
    if len(cmd.args) == 2 or (cmd.args and cmd.args[0].lower().startswith("ami-")):
        raise CommandError(
            "Comparing one real AMI with one real Docker image is not available yet. "
            f"For the general comparison type `{PREFIX} compare`, or one dimension: `{PREFIX} compare startup`."
        )
    shared = cmd.flag("shared")
    if cmd.args:
        return dimension_reply(find_dimension(cmd.args[0]), ctx, shared)
    return table_reply(ctx, shared)


def table_reply(ctx: Context, shared: bool) -> Reply:
    parts: list[Any] = [Header(f"{DOCKER} vs {AMI}")]
    for dim in load_dimensions():
        parts.append(Text(f"*{dim.name}*"))
        parts.append(Fields(((DOCKER, dim.docker), (AMI, dim.ami))))
    names = " · ".join(f"`{d.id}`" for d in load_dimensions())
    parts.append(Footer(f"Dimensions: {names}. More on one: `{PREFIX} compare startup`."))
    return _finish(parts, f"{PREFIX} compare --shared", ctx, shared)


def dimension_reply(dim: Dimension, ctx: Context, shared: bool) -> Reply:
    parts: list[Any] = [
        Header(f"{dim.name}: {DOCKER} vs {AMI}"),
        Fields(((DOCKER, dim.docker), (AMI, dim.ami))),
        Text(dim.detail),
    ]
    buttons = related_buttons(dim.related)
    if buttons:
        parts.append(Footer("Related topics:"))
        parts.append(Buttons(tuple(buttons)))
    return _finish(parts, f"{PREFIX} compare {dim.id} --shared", ctx, shared)


def _finish(parts: list[Any], share_text: str, ctx: Context, shared: bool) -> Reply:
    if shared:
        parts.append(Footer(f"Shared by <@{ctx.user_id}>"))
    else:
        parts.append(Buttons((share_button(share_text),)))
    return Reply(parts=parts, ephemeral=not shared)


def find_dimension(name: str) -> Dimension:
    """A dimension by id, name or alias, forgiving typos."""
    wanted = name.lower().strip().replace("_", "-")
    by_key: dict[str, Dimension] = {}
    for dim in load_dimensions():
        for key in (dim.id, dim.name.lower(), *(a.lower() for a in dim.aliases)):
            by_key.setdefault(key, dim)
    if wanted in by_key:
        return by_key[wanted]
    close = difflib.get_close_matches(wanted, list(by_key), n=1, cutoff=0.7)
    if close:
        return by_key[close[0]]
    names = ", ".join(f"`{d.id}`" for d in load_dimensions())
    raise CommandError(f"I can't compare on `{name}`. Pick one of {names}, e.g. `{PREFIX} compare isolation`.")
