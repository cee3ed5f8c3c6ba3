"""A very long word in any place of any subcommand: the reply stays short and shows the word at most once."""

import shlex

import pytest

from bot.core.terminal import render_text
from bot.dispatch.registry import REGISTRY
from bot.dispatch.run import dispatch

MARK = "zq7"  # the long word starts with this, so each place it is echoed can be counted
MAX_REPLY = 1500  # characters; a knowledge-base answer may be longer, but never longer for a long word
GROWTH = 200  # what a long word may add to the reply the same command gets with a short word


def word_of(size: int) -> str:
    return MARK + "a" * (size - len(MARK))


def placements(word: str) -> list[str]:
    """The word in each positional place of each subcommand's example, after it, and as each option's value."""
    texts = [word, f"ami {word}", f"help {word}", f"--{word}", f"compare {word} nginx:1.27"]
    for spec in REGISTRY.commands():
        head = ["/image", *spec.name.split()]
        words = shlex.split(spec.example)[len(head) :]
        values = {i + 1 for i, w in enumerate(words) if w.startswith("--") and "=" not in w}
        for i, w in enumerate(words):
            if not w.startswith("--") and i not in values:
                texts.append(shlex.join([*head, *words[:i], word, *words[i + 1 :]]))
        texts.append(shlex.join([*head, *words, word]))
        texts.append(shlex.join([*head, *words, f"--{word}", "x"]))
        texts += [shlex.join([*head, *words, f"--{name}", word]) for name in spec.options]
    return texts


def renderings(ops, text):
    reply = dispatch(ops, text)
    return {"Slack": reply.text, "terminal": render_text(reply)}


@pytest.mark.parametrize("size", [3_900, 5_000])  # about the longest text a command may be, and longer
def test_a_long_word_anywhere_gives_a_short_reply_that_echoes_it_at_most_once(ops, size):
    long, short = word_of(size), word_of(12)
    failures = []
    for text, baseline in zip(placements(long), placements(short), strict=True):
        usual = renderings(ops, baseline)
        for where, shown in renderings(ops, text).items():
            limit = max(MAX_REPLY, len(usual[where]) + GROWTH)
            if len(shown) >= limit or shown.count(MARK) > 1 or "Something went wrong" in shown:
                failures.append(
                    f"{text[:60]!r} in {where}: {len(shown)} chars, {shown.count(MARK)} echoes: {shown[:200]!r}"
                )
    assert not failures, "\n".join(failures)
