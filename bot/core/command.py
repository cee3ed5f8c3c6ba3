"""A parsed command: its subcommand name, positional words and typed option values."""

from __future__ import annotations

from dataclasses import dataclass, field

PREFIX = "/image"

OptionValue = str | int | bool


@dataclass(frozen=True)
class Command:
    """`/image jobs --limit 20` parses into name `jobs`, options `{"limit": 20}` (converted by the parser)."""

    name: str
    args: tuple[str, ...] = ()
    options: dict[str, OptionValue] = field(default_factory=dict)
    text: str = ""

    def option(self, name: str, default: str | None = None) -> str | None:
        """A text option as typed, or `default` when it was not given."""
        value = self.options.get(name, default)
        return value if isinstance(value, str) or value is None else default

    def number(self, name: str) -> int:
        """A whole-number option; the parser has checked its range and filled in its default."""
        value = self.options[name]
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"option {name!r} is not a number option")
        return value

    def flag(self, name: str) -> bool:
        return self.options.get(name) is True
