"""Buttons the answer commands share: open a related knowledge-base topic, or share the reply in channel."""

from __future__ import annotations

from bot.core.command import PREFIX
from bot.core.parts import Button
from knowledge.base import entries_by_id

LABEL = 45


def related_buttons(ids: tuple[str, ...] | list[str]) -> list[Button]:
    """Up to three buttons that open other entries (privately)."""
    known = entries_by_id()
    return [
        Button(short_title(known[i].title), f"imagebot.run.{n}", value=f"{PREFIX} ask --id {i}")
        for n, i in enumerate([i for i in ids if i in known][:3])
    ]


def share_button(command_text: str) -> Button:
    return Button("Share in channel", "imagebot.share", value=command_text, style="primary")


def short_title(title: str) -> str:
    return title if len(title) <= LABEL else title[: LABEL - 1].rstrip() + "…"
