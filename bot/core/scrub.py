"""A reply with every secret taken out of what it shows, by the same scrubber as the logs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from bot.core.parts import Button, Buttons, Confirm, Fields, Footer, Header, Part, Text
from bot.core.reply import Reply

Scrub = Callable[[str], str]


def scrub_reply(reply: Reply, scrub: Scrub) -> Reply:
    """The same reply with every text it shows scrubbed (button values too: they come back as commands)."""
    return replace(reply, parts=[_part(part, scrub) for part in reply.parts])


def _part(part: Part, scrub: Scrub) -> Part:
    if isinstance(part, Header | Text | Footer):
        return replace(part, text=scrub(part.text))
    if isinstance(part, Fields):
        return Fields(tuple((scrub(label), scrub(value)) for label, value in part.pairs))
    if isinstance(part, Buttons):
        return replace(part, buttons=tuple(_button(b, scrub) for b in part.buttons))
    return part


def _button(button: Button, scrub: Scrub) -> Button:
    confirm = button.confirm and Confirm(
        scrub(button.confirm.title), scrub(button.confirm.text), button.confirm.confirm, button.confirm.deny
    )
    return replace(button, label=scrub(button.label), value=scrub(button.value), confirm=confirm)
