"""A subcommand's spec (attached by @subcommand) and the Registry that resolves typed text to one.

The summary shown by `help` is the handler docstring's first line; the usage
lines and the argument counts come from the spec's forms (bot.framework.usage).
A spec's permission, options and forms are typed and checked when the registry
is built, so a mistake in a handler module stops the bot at start instead of
denying everyone later.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from bot.core.command import PREFIX, Command
from bot.core.errors import CommandError
from bot.core.formatting import closest, did_you_mean
from bot.core.needs import Need
from bot.core.permissions import Permission
from bot.core.reply import Reply
from bot.core.text import echo
from bot.framework.options import Number, Option
from bot.framework.usage import check_forms, combined_arity, usage_line

Handler = Callable[[Any, Command], Reply]  # (Context, Command) -> Reply; Context holds the registry
H = TypeVar("H", bound=Handler)
OPTION_NAME = re.compile(r"[a-z][a-z0-9-]*")


@dataclass(frozen=True)
class Subcommand:
    """One subcommand: its name, handler, help text, options and what it needs."""

    name: str
    handler: Handler
    example: str
    forms: tuple[str, ...] = ("",)  # the words after the name, one string per way to call it
    options: Mapping[str, Option] = field(default_factory=dict)
    slow: bool | Callable[[Command], bool] = False  # answer after the ack (AWS or Docker calls)
    permission: Permission = Permission.READ
    aliases: tuple[str, ...] = ()
    free_text: bool = False  # unknown --words are part of the text (questions may mention flags)
    # run before the needs are checked, so bad input is answered first (it raises CommandError)
    validate: Callable[[Command], object] | None = None
    # services checked before the handler runs (Docker, AWS, Redis); a callable decides per command
    needs: tuple[Need, ...] | Callable[[Command], tuple[Need, ...]] = ()

    def is_slow(self, command: Command) -> bool:
        return self.slow(command) if callable(self.slow) else self.slow

    def needs_for(self, command: Command) -> tuple[Need, ...]:
        return self.needs(command) if callable(self.needs) else self.needs

    @property
    def usages(self) -> tuple[str, ...]:
        """One usage line per form, with its options: `/image compare <ami-id | name> <image-ref> [--region R]`."""
        return tuple(usage_line(f"{PREFIX} {self.name}", form, self.options) for form in self.forms)

    @property
    def min_args(self) -> int:
        return combined_arity(self.forms).low

    @property
    def max_args(self) -> int | None:
        return combined_arity(self.forms).high

    @property
    def summary(self) -> str:
        doc = (self.handler.__doc__ or "").strip()
        return doc.splitlines()[0] if doc else ""


def subcommand(name: str, example: str, **spec: Any) -> Callable[[H], H]:
    """Attach a Subcommand spec to a handler function (collected by the registry)."""

    def wrap(handler: H) -> H:
        handler.subcommand = Subcommand(name, handler, example, **spec)  # type: ignore[attr-defined]
        return handler

    return wrap


def spec_of(handler: Handler) -> Subcommand:
    spec = getattr(handler, "subcommand", None)
    if not isinstance(spec, Subcommand):
        raise ValueError(f"{handler!r} has no @subcommand spec")
    return spec


class Registry:
    """All subcommands by name; resolves the longest name that prefixes the text."""

    def __init__(self, handlers: Iterable[Handler]) -> None:
        self._by_name: dict[str, Subcommand] = {}
        for handler in handlers:
            spec = spec_of(handler)
            check_spec(spec)
            for name in (spec.name, *spec.aliases):
                if name in self._by_name:
                    raise ValueError(f"subcommand {name!r} registered twice")
                self._by_name[name] = spec

    def __iter__(self) -> Iterator[Subcommand]:
        return iter(self.commands())

    def commands(self) -> list[Subcommand]:
        seen: dict[str, Subcommand] = {}
        for spec in self._by_name.values():
            seen.setdefault(spec.name, spec)
        return list(seen.values())

    def get(self, name: str) -> Subcommand | None:
        return self._by_name.get(name)

    def group(self, first: str) -> list[Subcommand]:
        """The subcommands of a group (`ami` -> ami status, ami copies, ami copy), in registry order."""
        first = first.lower()
        return [s for s in self.commands() if " " in s.name and s.name.split()[0] == first]

    def resolve(self, words: list[str]) -> tuple[Subcommand, int]:
        """The subcommand named by the first one or two words, and how many words it used."""
        for size in (2, 1):
            if len(words) >= size:
                spec = self._by_name.get(" ".join(words[:size]).lower())
                if spec:
                    if size == 1 and len(words) > 1:
                        self._refuse_group_typo(words)
                    return spec, size
        raise CommandError(self.unknown_message(words))

    def _refuse_group_typo(self, words: list[str]) -> None:
        """`job cancle 7f3a`: `job` takes an id, but `cancle` is nearly a subcommand of the `job` group."""
        members = {s.name.split()[1]: s for s in self.group(words[0])}
        close = closest(words[1].lower(), members, n=1, cutoff=0.75)
        if close:
            raise CommandError(self._group_typo_message(words, [members[close[0]].name]))

    def suggest(self, name: str, limit: int = 3) -> list[str]:
        names = sorted(self._by_name)
        close = closest(name.lower(), names, n=limit)
        if not close:
            first = name.split()[0].lower() if name.split() else name
            close = closest(first, names, n=limit)
            close += [n for n in names if n.split()[0] == first and n not in close][: limit - len(close)]
        return close

    def unknown_message(self, words: list[str]) -> str:
        """What to say about words that name no subcommand: a group's members, or the closest names."""
        members = self.group(words[0])
        if members and len(words) == 1:
            group, listed = words[0].lower(), ", ".join(f"`{PREFIX} {s.name}`" for s in members)
            return f"`{PREFIX} {group}` needs a subcommand: {listed}. `{PREFIX} help {group}` shows how to use them."
        if members:
            close = closest(words[1].lower(), [s.name.split()[1] for s in members], n=2, cutoff=0.5)
            return self._group_typo_message(words, [f"{words[0].lower()} {c}" for c in close])
        hint = did_you_mean(self.suggest(" ".join(words[:2])), show=lambda c: f"`{PREFIX} {c}`")
        return f"I don't know `{PREFIX} {echo(words[0])}`.{hint} Type `{PREFIX} help` to see every subcommand."

    def _group_typo_message(self, words: list[str], close: list[str]) -> str:
        group = words[0].lower()
        hint = did_you_mean(close, show=lambda c: f"`{PREFIX} {c}`")
        if not hint:
            hint = " Its subcommands: " + ", ".join(f"`{PREFIX} {s.name}`" for s in self.group(group)) + "."
        return f"`{PREFIX} {group}` has no subcommand `{echo(words[1])}`.{hint}"


def check_spec(spec: Subcommand) -> None:
    """Refuse a spec that would misbehave at run time: an untyped permission, a malformed option."""
    if not isinstance(spec.permission, Permission):
        raise ValueError(
            f"subcommand {spec.name!r}: permission {spec.permission!r} is not a Permission "
            f"(one of {', '.join(p.name for p in Permission)})"
        )
    if not callable(spec.needs) and not all(isinstance(n, Need) for n in spec.needs):
        raise ValueError(f"subcommand {spec.name!r}: needs {spec.needs!r} must be Need values")
    for name, option in spec.options.items():
        if not OPTION_NAME.fullmatch(name):
            raise ValueError(f"subcommand {spec.name!r}: option name {name!r} must be lowercase words with dashes")
        if isinstance(option, Number) and not _default_in_range(option):
            raise ValueError(f"subcommand {spec.name!r}: the default of --{name} is not in {option.low}..{option.high}")
    if not spec.forms:
        raise ValueError(f'subcommand {spec.name!r}: declare at least one form ("" for none)')
    check_forms(spec.name, spec.forms, spec.options)


def _default_in_range(option: Number) -> bool:
    return option.default is None or option.low <= option.default <= option.high
