"""Hostile text, and the check that none of it reaches Slack as markup: for the escaping property tests."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from hypothesis import strategies as st

from bot.core.markup import unescape

# What an attacker (or an unlucky AMI tag) would put in a string to make Slack do something.
FRAGMENTS = (
    "<!here>",
    "<!channel>",
    "<!everyone>",
    "<!subteam^S0TEAM>",
    "<!date^1392734382^{date}|x>",
    "<@U1>",
    "<@U0ADMIN>",
    "<#C1>",
    "<http://x|y>",
    "<https://evil.example/login|Reset your password>",
    "&amp;",
    "&lt;!here&gt;",
    "&",
    "<",
    ">",
    " R&D ",
)
TOKEN = re.compile(r"<[^<>]*>")
ENTITY = re.compile(r"&(amp|lt|gt);")


def hostile_text(max_parts: int = 4) -> st.SearchStrategy[str]:
    """A string made of hostile fragments and ordinary characters (no newlines, so it stays one value)."""
    plain = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=6)
    return st.lists(st.one_of(st.sampled_from(FRAGMENTS), plain), min_size=1, max_size=max_parts).map("".join)


def mrkdwn_strings(payload: Any, top: bool = True) -> Iterable[str]:
    """Every string Slack reads as mrkdwn: mrkdwn text objects, and a message's top-level `text`."""
    if isinstance(payload, dict):
        if payload.get("type") == "mrkdwn" and isinstance(payload.get("text"), str):
            yield payload["text"]
        if top and isinstance(payload.get("text"), str) and "type" not in payload:
            yield payload["text"]
        for key, value in payload.items():
            if key != "text" or not isinstance(value, str):
                yield from mrkdwn_strings(value, top=False)
    elif isinstance(payload, list):
        for item in payload:
            yield from mrkdwn_strings(item, top=False)


def assert_safe(payload: Any, allowed: Iterable[str] = ()) -> None:
    """No live mention, special command or link survives, except the bot's own tokens in `allowed`.

    Every `<…>` token must be one the bot meant; every other `<`, `>` and `&` is escaped exactly once.
    """
    meant = set(allowed)
    for text in mrkdwn_strings(payload):
        for token in TOKEN.findall(text):
            assert token in meant, f"live markup {token!r} in {text!r}"
        rest = TOKEN.sub("", text)
        assert "<" not in rest and ">" not in rest, f"an unescaped angle bracket in {text!r}"
        assert not re.search(r"&(?!(amp|lt|gt);)", rest), f"an unescaped & in {text!r}"


def shown(payload: Any) -> str:
    """What a person reads in all the mrkdwn of a payload (entities decoded once)."""
    return "\n".join(unescape(t) for t in mrkdwn_strings(payload))
