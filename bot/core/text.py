"""Text at the edge: what comes in from Slack or a terminal is made safe to encode once, before anything reads it."""

from __future__ import annotations

import shlex
import unicodedata

MAX_INPUT = 4000  # characters: Slack's own limit for a slash command's text; also bounds the work below


def clean(text: str) -> str:
    """Lone surrogates (text that cannot be UTF-8) become U+FFFD; the rest is put in NFC form.

    Text longer than MAX_INPUT is cut to one character more, so callers can tell it was too long without
    spending time on it (NFC of a long run of combining marks takes time in the square of its length).
    """
    repaired = text[: MAX_INPUT + 1].encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return unicodedata.normalize("NFC", repaired)


def too_long(text: str) -> str | None:
    """What to say when a command or question is longer than MAX_INPUT, else None."""
    if len(text) <= MAX_INPUT:
        return None
    return f"That is longer than {MAX_INPUT:,} characters. Shorten it, or ask one thing at a time."


ECHO_LIMIT = 60  # characters of a user's word shown back in a reply


def echo(value: str, limit: int = ECHO_LIMIT) -> str:
    """User input as a reply shows it back: on one line, without backticks (it sits in a code span), and shortened.

    Every reply that repeats what someone typed goes through here, so a 4,000-character word costs
    about 60 characters of reply, not 4,000 per place it is mentioned.
    """
    flat = "".join(" " if c.isspace() else c for c in value.replace("`", "'")).strip()
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def brief_command(command: str, word_limit: int = 40) -> str:
    """A command shown beside a choice it runs, with a question riding along (or any long word) as `…`.

    An entry id or an AMI id stays whole: `/image ask --id restart-containers-on-boot --asked …`.
    """
    try:
        words = shlex.split(command)
    except ValueError:
        return echo(command)
    return " ".join(w if len(w) <= word_limit and len(w.split()) == 1 else "…" for w in words)
