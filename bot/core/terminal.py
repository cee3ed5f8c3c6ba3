"""Readable terminal text for a reply: mrkdwn becomes plain (or bold) text, entities are decoded once."""

from __future__ import annotations

import re

from bot.core.markup import as_mrkdwn, unescape
from bot.core.parts import Buttons, Fields, Footer, HasParts, Header, Text
from bot.core.text import brief_command

_LINK = re.compile(r"<(https?://[^|>]+)\|([^>]+)>")
_BARE_LINK = re.compile(r"<(https?://[^|>]+)>")
_BOLD = re.compile(r"(?<![\w*])\*([^*\n]+)\*(?![\w*])")
_ITALIC = re.compile(r"(?<![\w_])_([^_\n]+)_(?![\w_])")
_EMOJI = {":warning:": "!", ":white_check_mark:": "✓", ":x:": "✗", ":hourglass_flowing_sand:": "…"}


def plain(text: str, color: bool = False) -> str:
    """Mrkdwn to plain text; what stands in `code` keeps its characters (entities decoded)."""
    pieces = str(text).split("`")
    pieces[::2] = [_plain_prose(p, color) for p in pieces[::2]]
    pieces[1::2] = [unescape(p) for p in pieces[1::2]]
    return "`".join(pieces)


def _plain_prose(text: str, color: bool) -> str:
    text = _LINK.sub(r"\2 (\1)", text)
    text = _BARE_LINK.sub(r"\1", text)
    bold = r"\033[1m\1\033[0m" if color else r"\1"
    text = _BOLD.sub(bold, text)
    text = _ITALIC.sub(r"\1", text)
    for code, sign in _EMOJI.items():
        text = text.replace(code, sign)
    return unescape(text)


def render_text(reply: HasParts, color: bool = False) -> str:
    """Readable terminal text for a reply."""
    out: list[str] = []
    for part in reply.parts:
        if isinstance(part, Header):
            title = plain(as_mrkdwn(part.text))
            out.append(f"\033[1m{title}\033[0m" if color else title)
            out.append("=" * min(len(title), 72))
        elif isinstance(part, Text):
            out.append(_text_block(as_mrkdwn(part.text), color))
        elif isinstance(part, Fields):
            width = max((len(label) for label, _ in part.pairs), default=0)
            for label, value in part.pairs:
                value = plain(as_mrkdwn(value or "—"), color).replace("\n", "\n" + " " * (width + 2))
                out.append(f"{label.ljust(width)}  {value}")
        elif isinstance(part, Buttons) and part.numbered:
            for n, b in enumerate(part.buttons, 1):
                out.append(f"  {n}. {plain(as_mrkdwn(b.label))}  ({brief_command(b.value)})")
        elif isinstance(part, Buttons):
            labels = [f"[{plain(as_mrkdwn(b.label))}]" + (f" {b.url}" if b.url else "") for b in part.buttons]
            out.append("  ".join(labels))
        elif isinstance(part, Footer):
            out.append(plain(as_mrkdwn(part.text), color))
        else:
            out.append("-" * 40)
    return "\n".join(out).rstrip()


def _text_block(text: str, color: bool) -> str:
    lines: list[str] = []
    in_fence = False
    for line in str(text).split("\n"):
        if line.strip().startswith("```"):
            in_fence = not in_fence
            rest = unescape(line.strip()[3:])
            if rest.endswith("```"):
                lines.append("    " + rest[:-3])
                in_fence = False
            elif rest:
                lines.append("    " + rest)
            continue
        lines.append("    " + unescape(line) if in_fence else plain(line, color))
    return "\n".join(lines)
