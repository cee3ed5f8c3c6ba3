"""Block Kit and fallback text for a reply, built with `slack_sdk.models.blocks`, never more than Slack accepts.

Where text becomes mrkdwn it goes through `as_mrkdwn`, so outside text is
escaped once (bot.core.markup). Content longer than Slack allows is split
across sections or truncated with a note, and a cut never falls inside an
entity or a `<…>` token.
"""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ConfirmObject,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

from bot.core.markup import Mrkdwn, as_mrkdwn, md
from bot.core.parts import Button, Buttons, Fields, Footer, HasParts, Header, Part, Text
from bot.core.terminal import plain

MAX_BLOCKS = 50
SECTION_TEXT = 3000
FIELD_TEXT = 2000
FIELDS_PER_SECTION = 10
HEADER_TEXT = 150
BUTTON_TEXT = 75
BUTTONS_PER_ACTIONS = 25
FALLBACK_TEXT = 3000
TRUNCATED_NOTE = "_…truncated to fit in Slack; run it from the `imagebot` shell for everything._"


def render_blocks(reply: HasParts) -> list[dict[str, Any]]:
    """Block Kit for a reply, validated, never more than Slack accepts."""
    blocks: list[Block] = []
    for part in reply.parts:
        blocks.extend(_blocks_for(part))
    if len(blocks) > MAX_BLOCKS:
        blocks = [*blocks[: MAX_BLOCKS - 1], ContextBlock(elements=[MarkdownTextObject(text=TRUNCATED_NOTE)])]
    for block in blocks:
        block.validate_json()
    return [b.to_dict() for b in blocks]


def render_fallback(reply: HasParts) -> str:
    """The top-level `text` of a Slack message (notifications, screen readers): mrkdwn, as safe as the blocks."""
    lines: list[Mrkdwn] = []
    for part in reply.parts:
        if isinstance(part, Header):
            lines.append(md("*{}*", plain_text(part.text)))
        elif isinstance(part, Text | Footer):
            lines.append(as_mrkdwn(part.text))
        elif isinstance(part, Fields):
            lines.extend(md("*{}*: {}", label, as_mrkdwn(value or "—")) for label, value in part.pairs)
    return clip_mrkdwn(Mrkdwn("\n").join(lines), FALLBACK_TEXT)


def plain_text(text: str) -> str:
    """Text for a plain_text field, which Slack does not parse: markup made readable, outside text as it is."""
    return plain(text) if isinstance(text, Mrkdwn) else text


def _blocks_for(part: Part) -> list[Block]:
    if isinstance(part, Header):
        return [HeaderBlock(text=PlainTextObject(text=clip(plain_text(part.text), HEADER_TEXT), emoji=True))]
    if isinstance(part, Text):
        return [SectionBlock(text=MarkdownTextObject(text=chunk)) for chunk in split_mrkdwn(as_mrkdwn(part.text))]
    if isinstance(part, Fields):
        return _field_sections(part)
    if isinstance(part, Buttons):
        return _actions(part)
    if isinstance(part, Footer):
        return [ContextBlock(elements=[MarkdownTextObject(text=clip_mrkdwn(as_mrkdwn(part.text), SECTION_TEXT))])]
    return [DividerBlock()]


def _field_sections(part: Fields) -> list[Block]:
    texts = [clip_mrkdwn(md("*{}*\n{}", label, as_mrkdwn(value or "—")), FIELD_TEXT) for label, value in part.pairs]
    return [
        SectionBlock(fields=[MarkdownTextObject(text=t) for t in texts[i : i + FIELDS_PER_SECTION]])
        for i in range(0, len(texts), FIELDS_PER_SECTION)
    ]


def _actions(part: Buttons) -> list[Block]:
    elements = [_button(b) for b in part.buttons[:BUTTONS_PER_ACTIONS]]
    return [ActionsBlock(elements=elements)] if elements else []


def _button(b: Button) -> ButtonElement:
    confirm = None
    if b.confirm:
        confirm = ConfirmObject(
            title=clip(plain_text(b.confirm.title), 100),
            text=MarkdownTextObject(text=clip_mrkdwn(as_mrkdwn(b.confirm.text), 300)),
            confirm=b.confirm.confirm,
            deny=b.confirm.deny,
            style="danger" if b.style == "danger" else None,
        )
    return ButtonElement(
        text=PlainTextObject(text=clip(plain_text(b.label), BUTTON_TEXT), emoji=True),
        action_id=b.action_id,
        value=b.value or None,
        style=b.style,
        url=b.url,
        confirm=confirm,
    )


def split_mrkdwn(text: str, limit: int = SECTION_TEXT) -> list[str]:
    """Split mrkdwn into chunks of at most `limit` characters at line breaks.

    A code fence cut by a split is closed at the end of one chunk and reopened
    at the start of the next, so each chunk renders on its own.
    """
    chunks: list[str] = []
    current: list[str] = []
    size = 0
    in_fence = False
    budget = limit - 8  # room to close and reopen a fence
    for line in _hard_wrap(text, budget):
        if size + len(line) + 1 > budget and current:
            chunks.append("\n".join(current) + ("\n```" if in_fence else ""))
            current, size = (["```"], 4) if in_fence else ([], 0)
        current.append(line)
        size += len(line) + 1
        if line.strip().startswith("```"):
            in_fence = not in_fence
    if current:
        chunks.append("\n".join(current))
    return [c for c in chunks if c.strip()] or [" "]


def _hard_wrap(text: str, width: int) -> list[str]:
    lines: list[str] = []
    for line in str(text).split("\n"):
        while len(line) > width:
            cut = safe_cut(line, width)
            lines.append(line[:cut])
            line = line[cut:]
        lines.append(line)
    return lines


def safe_cut(text: str, at: int) -> int:
    """The last place at or before `at` that is not inside an `&…;` entity or a `<…>` token."""
    cut = at
    amp, semi = text.rfind("&", 0, cut), text.rfind(";", 0, cut)
    if amp > semi and cut - amp <= 5:
        cut = amp
    opened, closed = text.rfind("<", 0, cut), text.rfind(">", 0, cut)
    if opened > closed:
        cut = opened
    return cut if cut > 0 else at


def clip_mrkdwn(text: str, limit: int) -> str:
    """Mrkdwn cut to `limit` characters with an ellipsis, never inside an entity or a token."""
    return str(text) if len(text) <= limit else str(text)[: safe_cut(str(text), limit - 1)] + "…"


def clip(text: str, limit: int) -> str:
    """Plain text cut to `limit` characters with an ellipsis when longer."""
    return text if len(text) <= limit else text[: limit - 1] + "…"
