"""Slack mrkdwn that is safe to send: outside text escaped exactly once, the bot's own markup from typed helpers.

The rule: a plain `str` in a reply is text from outside (a user, AWS, Docker,
an error, the knowledge base) and is escaped (`&`, `<`, `>`) where it becomes
mrkdwn. A `Mrkdwn` is markup the bot means: built with `md()` (whose
arguments are escaped unless they are Mrkdwn themselves) and the helpers
below, never by pasting strings. Plain-text fields (headers, button labels)
are not parsed by Slack, so they carry the text as it is.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from markupsafe import Markup

ENTITIES = (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"))
SLACK_ID = r"[A-Z0-9_]{2,40}"
USER_ID = re.compile(rf"[UW]{SLACK_ID}")
CHANNEL_ID = re.compile(rf"[CGD]{SLACK_ID}")
URL = re.compile(r"https?://[^\s]+")


class Mrkdwn(Markup):
    """A str of Slack mrkdwn that is safe to send. `format`, `join`, `+` and `%` escape what is not Mrkdwn."""

    __slots__ = ()

    @classmethod
    def escape(cls, s: Any, /) -> Mrkdwn:
        if isinstance(s, Mrkdwn):
            return s
        text = str(s)
        for char, entity in ENTITIES:
            text = text.replace(char, entity)
        return cls(text)

    def unescape(self, /) -> str:
        """The text a person reads (entities decoded once)."""
        return unescape(str(self))


def unescape(text: str) -> str:
    """Entities decoded once; the result is plain text, never Mrkdwn."""
    text = str(text)  # a plain str: Mrkdwn's own replace would escape its arguments
    for char, entity in reversed(ENTITIES):
        text = text.replace(entity, char)
    return text


def md(template: str, *args: Any, **kwargs: Any) -> Mrkdwn:
    """The bot's own markup: `md("Job `{}` failed: {}", job_id, error)` escapes job_id and error."""
    return Mrkdwn(template).format(*args, **kwargs)


def as_mrkdwn(text: str) -> Mrkdwn:
    """Markup as it is; any other text escaped."""
    return Mrkdwn.escape(text)


def mention(user_id: str) -> Mrkdwn:
    """`<@U0123>` for a Slack user id; anything else is shown as text, never as a mention."""
    return Mrkdwn(f"<@{user_id}>") if USER_ID.fullmatch(user_id) else Mrkdwn.escape(user_id)


def channel(channel_id: str) -> Mrkdwn:
    """`<#C0123>` for a Slack channel id; anything else is shown as text."""
    return Mrkdwn(f"<#{channel_id}>") if CHANNEL_ID.fullmatch(channel_id) else Mrkdwn.escape(channel_id)


def link(url: str, label: str) -> Mrkdwn:
    """`<https://…|label>` for an http(s) URL; any other URL is shown as text."""
    if not URL.fullmatch(url):
        return Mrkdwn.escape(f"{label} ({url})")
    safe_url = quote(url, safe=":/?#[]@!$&'()*+,;=%~-._").replace("&", "&amp;")
    return Mrkdwn(f"<{safe_url}|") + label.replace("|", "¦") + Mrkdwn(">")
