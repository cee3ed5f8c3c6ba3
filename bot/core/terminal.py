"""Readable terminal text for a reply: Slack mrkdwn becomes what Slack would show, in terminal terms.

- `<@U1>` and `<@U1|ann>` become `@U1` and `@ann`; `<#C1>` `#C1`; `<!here>` `@here`;
  `<!date^…|fallback>` its fallback;
- `<https://x|docs>` becomes `docs (https://x)`, `<https://x>` the URL;
- emoji codes become a symbol (`:white_check_mark:` ✓) or nothing (`:rocket:`);
- `*bold*`, `_italic_`, `~strike~` and `` `code` `` become ANSI styles when `color` is set (a tty);
  otherwise the marks go and the text stays, except code, which keeps its backticks so that what
  to type still stands out;
- entities are decoded once, and control characters from outside (a terminal escape hidden in
  an AMI tag, say) are shown as `?`, never sent to the terminal.
"""

from __future__ import annotations

import re

from bot.core.markup import as_mrkdwn, unescape
from bot.core.parts import Buttons, Fields, Footer, HasParts, Header, Text
from bot.core.text import brief_command

# `<…>` tokens: Slack's mentions, special commands and links (the bot escapes every other `<`).
_TOKEN = re.compile(r"<([^<>|\n]+)(?:\|([^<>\n]*))?>")
HOLD = "\ue000"  # a private-use character stands in for each token while the prose is styled
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_EMOJI_CODE = re.compile(r"(?<![\w:]):([a-z0-9][a-z0-9_+-]*):(?![\w:])( ?)")
EMOJI = {
    "warning": "!",
    "white_check_mark": "✓",
    "heavy_check_mark": "✓",
    "x": "✗",
    "no_entry_sign": "⊘",
    "no_entry": "⊘",
    "hourglass_flowing_sand": "…",
    "hourglass": "…",
    "information_source": "i",
    "arrow_right": "→",
}
# mark, then (ANSI on, ANSI off): off codes are specific, so styles nest
_STYLES = (
    (re.compile(r"(?<![\w*])\*([^*\n]+)\*(?![\w*])"), ("\033[1m", "\033[22m")),
    (re.compile(r"(?<![\w_])_([^_\n]+)_(?![\w_])"), ("\033[3m", "\033[23m")),
    (re.compile(r"(?<![\w~])~([^~\n]+)~(?![\w~])"), ("\033[9m", "\033[29m")),
)
CODE_STYLE = ("\033[36m", "\033[39m")
BOLD = ("\033[1m", "\033[22m")


def safe_for_terminal(text: str) -> str:
    """Control characters (ESC, BEL, …; not newline or tab) shown as `?`."""
    return _CONTROL.sub("?", text)


def plain(text: str, color: bool = False) -> str:
    """One mrkdwn string as terminal text (see the module docstring)."""
    pieces = safe_for_terminal(str(text)).replace(HOLD, "?").split("`")  # the stand-in is ours alone
    if len(pieces) % 2 == 0:  # an unpaired backtick is a character, not the start of code
        pieces[-2:] = ["`".join(pieces[-2:])]
    prose = [_prose(p, color) for p in pieces[::2]]
    code = [unescape(p) for p in pieces[1::2]]
    opened, closed = CODE_STYLE if color else ("`", "`")
    out = [prose[0]]
    for span, after in zip(code, prose[1:], strict=True):
        out.append(f"{opened}{span}{closed}{after}")
    return "".join(out)


def _prose(text: str, color: bool) -> str:
    tokens: list[str] = []

    def hold(match: re.Match[str]) -> str:
        tokens.append(_token(match.group(1), match.group(2)))
        return HOLD

    text = _TOKEN.sub(hold, text)
    text = _EMOJI_CODE.sub(_emoji, text)
    for pattern, (on, off) in _STYLES:
        text = pattern.sub(f"{on}\\1{off}" if color else r"\1", text)
    held = iter(tokens)  # styling neither drops nor reorders the stand-ins
    return unescape(re.sub(HOLD, lambda _: next(held), text))


def _emoji(match: re.Match[str]) -> str:
    """A known code as its symbol; any other is left out, with the space after it."""
    sign = EMOJI.get(match.group(1))
    return sign + match.group(2) if sign else ""


def _token(target: str, label: str | None) -> str:
    """What Slack shows for one `<target|label>` token (entities still encoded; decoded with the rest)."""
    label = label.strip() if label else ""
    if target.startswith("@"):
        return "@" + (label.lstrip("@") or target[1:])
    if target.startswith("#"):
        return "#" + (label.lstrip("#") or target[1:])
    if target.startswith("!"):
        name = target[1:].split("^")[0]
        if name in ("here", "channel", "everyone"):
            return "@" + name
        if name == "subteam":
            return label or "@" + target.split("^", 1)[-1]
        return label  # <!date^…|fallback>: the fallback
    if label and label != target:
        return f"{label} ({target})"
    return target


def render_text(reply: HasParts, color: bool = False) -> str:
    """Readable terminal text for a reply."""
    out: list[str] = []
    for part in reply.parts:
        if isinstance(part, Header):
            title = plain(as_mrkdwn(part.text))
            out.append(f"{BOLD[0]}{title}{BOLD[1]}" if color else title)
            out.append("=" * min(len(title), 72))
        elif isinstance(part, Text):
            out.append(_text_block(as_mrkdwn(part.text), color))
        elif isinstance(part, Fields):
            width = max((len(label) for label, _ in part.pairs), default=0)
            for label, value in part.pairs:
                value = plain(as_mrkdwn(value or "—"), color).replace("\n", "\n" + " " * (width + 2))
                out.append(f"{safe_for_terminal(label).ljust(width)}  {value}")
        elif isinstance(part, Buttons) and part.numbered:
            for n, b in enumerate(part.buttons, 1):
                out.append(f"  {n}. {plain(as_mrkdwn(b.label))}  ({safe_for_terminal(brief_command(b.value))})")
        elif isinstance(part, Buttons):
            labels = [
                f"[{plain(as_mrkdwn(b.label))}]" + (f" {safe_for_terminal(b.url)}" if b.url else "")
                for b in part.buttons
            ]
            out.append("  ".join(labels))
        elif isinstance(part, Footer):
            out.append(plain(as_mrkdwn(part.text), color))
        else:
            out.append("-" * 40)
    return "\n".join(out).rstrip()


def _text_block(text: str, color: bool) -> str:
    lines: list[str] = []
    in_fence = False
    for line in safe_for_terminal(str(text)).split("\n"):
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
