"""A subcommand's forms (`<ami-id | name> <image-ref> [--region]`): usage lines and arity, from one declaration.

A form lists the words a subcommand takes after its name. `<x>` is one word
that must be there, `[x]` one that may be, `<x>...` and `[x...]` any number
(one or more, none or more); a bare word (`up|down`) is a word that must be
there. `[--name]` places an option in the form; a form that places none is
followed by every option. Usage lines, the help text and the argument
counts the parser enforces all come from the forms, so they cannot drift.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from bot.framework.options import Flag, Option

TOKEN = re.compile(r"\[[^\]]*\]|<[^>]*>(?:\.\.\.)?|\S+")
OPTION_TOKEN = re.compile(r"\[--([a-z][a-z0-9-]*)\]")


@dataclass(frozen=True)
class Arity:
    """How many positional words a form takes: at least `low`, at most `high` (None: no limit)."""

    low: int
    high: int | None


def tokens(form: str) -> list[str]:
    return TOKEN.findall(form)


def form_options(form: str) -> list[str]:
    """The options a form places, in order (`[--region]` -> `region`)."""
    return [m.group(1) for t in tokens(form) if (m := OPTION_TOKEN.fullmatch(t))]


def arity(form: str) -> Arity:
    low, high = 0, 0
    unbounded = False
    for token in tokens(form):
        if OPTION_TOKEN.fullmatch(token):
            continue
        optional = token.startswith("[")
        if token.endswith("...") or token.endswith("...]"):
            unbounded = True
        if not optional:
            low += 1
        high += 1
    return Arity(low, None if unbounded else high)


def combined_arity(forms: tuple[str, ...]) -> Arity:
    """The counts over every form: the fewest any form needs, the most any form takes."""
    each = [arity(f) for f in forms] or [Arity(0, 0)]
    highs = [a.high for a in each]
    return Arity(min(a.low for a in each), None if None in highs else max(h for h in highs if h is not None))


def option_hint(name: str, option: Option) -> str:
    """`[--region R]`, or `[--shared]` for a flag."""
    if isinstance(option, Flag):
        return f"[--{name}]"
    return f"[--{name} {metavar(name, option)}]"


def metavar(name: str, option: Option) -> str:
    """The placeholder for an option's value: declared, else the initial of its last word (`--source-region R`)."""
    declared = getattr(option, "metavar", None)
    return declared or name.rsplit("-", 1)[-1][:1].upper()


def usage_line(prefix: str, form: str, options: Mapping[str, Option]) -> str:
    """One full usage line for one form."""
    placed = form_options(form)
    words = [prefix]
    for token in tokens(form):
        match = OPTION_TOKEN.fullmatch(token)
        words.append(option_hint(match.group(1), options[match.group(1)]) if match else token)
    if not placed:
        words += [option_hint(name, option) for name, option in options.items()]
    return " ".join(words)


def check_forms(name: str, forms: tuple[str, ...], options: Mapping[str, Option]) -> None:
    """Refuse forms that name an unknown option, or leave a declared option out of every form that places options."""
    placed = {o for f in forms for o in form_options(f)}
    unknown = placed - set(options)
    if unknown:
        raise ValueError(f"subcommand {name!r}: its forms name unknown options {sorted(unknown)}")
    if placed and any(not form_options(f) for f in forms):
        return  # a form without placed options shows every option
    missing = set(options) - placed if placed else set()
    if missing:
        raise ValueError(f"subcommand {name!r}: options {sorted(missing)} are in no form")
