"""Option types a subcommand declares (`"limit": Number(1, 100, default=10)`); the parser converts with them."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from bot.core.command import PREFIX, OptionValue
from bot.core.errors import CommandError

DIGITS = re.compile(r"[0-9]{1,9}")  # ASCII digits only: `²` is a digit to str.isdigit(), not to int()
TRUE_WORDS = ("yes", "true", "on", "1")
FALSE_WORDS = ("no", "false", "off", "0")


@dataclass(frozen=True)
class Text:
    """`--name value`: the text as typed, or what `convert` makes of it (it raises CommandError when bad)."""

    default: str | None = None
    convert: Callable[[str], str] | None = None
    metavar: str | None = None  # the value's placeholder in usage lines; else the option's initial

    def parse(self, value: str, name: str, command: str) -> OptionValue:
        return self.convert(value) if self.convert else value


@dataclass(frozen=True)
class Number:
    """`--name 20`: a whole number from `low` to `high`."""

    low: int
    high: int
    default: int | None = None
    metavar: str = "N"

    def parse(self, value: str, name: str, command: str) -> OptionValue:
        text = value.strip()
        if not DIGITS.fullmatch(text) or not self.low <= int(text) <= self.high:
            like = self.default if self.default is not None else self.low
            raise CommandError(
                f"`--{name}` takes a number from {self.low} to {self.high}, like `{PREFIX} {command} --{name} {like}`."
            )
        return int(text)


@dataclass(frozen=True)
class Flag:
    """`--name` on its own means yes; `--name=no` is accepted too."""

    default: None = None

    def parse(self, value: str, name: str, command: str) -> OptionValue:
        word = value.strip().lower()
        if word in TRUE_WORDS or word in FALSE_WORDS:
            return word in TRUE_WORDS
        raise CommandError(f"`--{name}` is a flag: write `--{name}` on its own, like `{PREFIX} {command} --{name}`.")


Option = Text | Number | Flag
