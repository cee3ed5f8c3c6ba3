"""The Reply every handler returns, rendered to Block Kit or to terminal text.

A Reply is a list of parts (header, text, fields, buttons, context). Slack
gets Block Kit built with `slack_sdk.models.blocks`, so lengths are validated
by the library; content longer than Slack allows is split across sections or
truncated with a note, never sent to be rejected. The shell gets plain text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
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

MAX_BLOCKS = 50
SECTION_TEXT = 3000
FIELD_TEXT = 2000
FIELDS_PER_SECTION = 10
HEADER_TEXT = 150
BUTTON_TEXT = 75
BUTTONS_PER_ACTIONS = 25
FALLBACK_TEXT = 3000
TRUNCATED_NOTE = "_…truncated to fit in Slack; run it from the `imagebot` shell for everything._"


@dataclass(frozen=True)
class Header:
    text: str


@dataclass(frozen=True)
class Text:
    """A paragraph of Slack mrkdwn."""

    text: str


@dataclass(frozen=True)
class Fields:
    """Label/value pairs, shown two per row in Slack and aligned in the terminal."""

    pairs: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Confirm:
    title: str
    text: str
    confirm: str = "Confirm"
    deny: str = "Cancel"


@dataclass(frozen=True)
class Button:
    label: str
    action_id: str
    value: str = ""
    style: str | None = None
    url: str | None = None
    confirm: Confirm | None = None


@dataclass(frozen=True)
class Buttons:
    buttons: tuple[Button, ...]


@dataclass(frozen=True)
class Context:
    """Small grey footer text."""

    text: str


@dataclass(frozen=True)
class Divider:
    pass


Part = Header | Text | Fields | Buttons | Context | Divider


@dataclass
class Reply:
    """What a handler answers. `ok=False` marks a failed command (non-zero exit in the CLI)."""

    parts: list[Part] = field(default_factory=list)
    ephemeral: bool = True
    ok: bool = True
    job_id: str | None = None
    data: dict[str, Any] | None = None
    proposal: Any = None  # a bot.confirm.Proposal: a costly action waiting for confirmation

    @classmethod
    def message(cls, text: str, **kwargs: Any) -> Reply:
        return cls(parts=[Text(text)], **kwargs)

    @classmethod
    def error(cls, text: str) -> Reply:
        return cls(parts=[Text(f":warning: {text}")], ok=False)

    @property
    def text(self) -> str:
        """Plain fallback text: notifications, screen readers and the shell's one-liners."""
        return _clip(render_text(self, color=False), FALLBACK_TEXT)

    def to_blocks(self) -> list[dict[str, Any]]:
        return render_blocks(self)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "ok": self.ok,
            "text": self.text,
            "blocks": self.to_blocks(),
            "ephemeral": self.ephemeral,
        }
        if self.job_id:
            out["job_id"] = self.job_id
        if self.data is not None:
            out["data"] = self.data
        return out


# ---------------------------------------------------------------- Block Kit


def render_blocks(reply: Reply) -> list[dict[str, Any]]:
    """Block Kit for a reply, validated, never more than Slack accepts."""
    blocks: list[Block] = []
    for part in reply.parts:
        blocks.extend(_blocks_for(part))
    if len(blocks) > MAX_BLOCKS:
        blocks = [*blocks[: MAX_BLOCKS - 1], ContextBlock(elements=[MarkdownTextObject(text=TRUNCATED_NOTE)])]
    for block in blocks:
        block.validate_json()
    return [b.to_dict() for b in blocks]


def _blocks_for(part: Part) -> list[Block]:
    if isinstance(part, Header):
        return [HeaderBlock(text=PlainTextObject(text=_clip(_plain(part.text), HEADER_TEXT), emoji=True))]
    if isinstance(part, Text):
        return [SectionBlock(text=MarkdownTextObject(text=chunk)) for chunk in split_mrkdwn(part.text)]
    if isinstance(part, Fields):
        return _field_sections(part)
    if isinstance(part, Buttons):
        return _actions(part)
    if isinstance(part, Context):
        return [ContextBlock(elements=[MarkdownTextObject(text=_clip(part.text, SECTION_TEXT))])]
    return [DividerBlock()]


def _field_sections(part: Fields) -> list[Block]:
    texts = [_clip(f"*{label}*\n{value or '—'}", FIELD_TEXT) for label, value in part.pairs]
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
            title=_clip(b.confirm.title, 100),
            text=MarkdownTextObject(text=_clip(b.confirm.text, 300)),
            confirm=b.confirm.confirm,
            deny=b.confirm.deny,
            style="danger" if b.style == "danger" else None,
        )
    return ButtonElement(
        text=PlainTextObject(text=_clip(b.label, BUTTON_TEXT), emoji=True),
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
    for line in text.split("\n"):
        while len(line) > width:
            lines.append(line[:width])
            line = line[width:]
        lines.append(line)
    return lines


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# ------------------------------------------------------------------ terminal

_LINK = re.compile(r"<(https?://[^|>]+)\|([^>]+)>")
_BARE_LINK = re.compile(r"<(https?://[^|>]+)>")
_BOLD = re.compile(r"(?<![\w*])\*([^*\n]+)\*(?![\w*])")
_ITALIC = re.compile(r"(?<![\w_])_([^_\n]+)_(?![\w_])")
_EMOJI = {":warning:": "!", ":white_check_mark:": "✓", ":x:": "✗", ":hourglass_flowing_sand:": "…"}


def _plain(text: str, color: bool = False) -> str:
    """mrkdwn to plain text; what stands in `code` is left exactly as written."""
    pieces = text.split("`")
    pieces[::2] = [_plain_prose(p, color) for p in pieces[::2]]
    return "`".join(pieces)


def _plain_prose(text: str, color: bool) -> str:
    text = _LINK.sub(r"\2 (\1)", text)
    text = _BARE_LINK.sub(r"\1", text)
    bold = r"\033[1m\1\033[0m" if color else r"\1"
    text = _BOLD.sub(bold, text)
    text = _ITALIC.sub(r"\1", text)
    for code, sign in _EMOJI.items():
        text = text.replace(code, sign)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def render_text(reply: Reply, color: bool = False) -> str:
    """Readable terminal text for a reply."""
    out: list[str] = []
    for part in reply.parts:
        if isinstance(part, Header):
            title = _plain(part.text)
            out.append(f"\033[1m{title}\033[0m" if color else title)
            out.append("=" * min(len(title), 72))
        elif isinstance(part, Text):
            out.append(_text_block(part.text, color))
        elif isinstance(part, Fields):
            width = max((len(label) for label, _ in part.pairs), default=0)
            for label, value in part.pairs:
                value = _plain(value or "—", color).replace("\n", "\n" + " " * (width + 2))
                out.append(f"{label.ljust(width)}  {value}")
        elif isinstance(part, Buttons):
            labels = [f"[{b.label}]" + (f" {b.url}" if b.url else "") for b in part.buttons]
            out.append("  ".join(labels))
        elif isinstance(part, Context):
            out.append(_plain(part.text, color))
        else:
            out.append("-" * 40)
    return "\n".join(out).rstrip()


def _text_block(text: str, color: bool) -> str:
    lines: list[str] = []
    in_fence = False
    for line in text.split("\n"):
        if line.strip().startswith("```"):
            in_fence = not in_fence
            rest = line.strip()[3:]
            if rest.endswith("```"):
                lines.append("    " + rest[:-3])
                in_fence = False
            elif rest:
                lines.append("    " + rest)
            continue
        lines.append("    " + line if in_fence else _plain(line, color))
    return "\n".join(lines)
