"""The parts a Reply is made of: header, mrkdwn text, fields, buttons, footer, divider."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Header:
    text: str


@dataclass(frozen=True)
class Text:
    """A paragraph of Slack mrkdwn."""

    text: str


@dataclass(frozen=True)
class Fields:
    """Label/value pairs, shown two per row in Slack and aligned in the terminal."""

    pairs: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Confirm:
    title: str
    text: str
    confirm: str = "Confirm"
    deny: str = "Cancel"


@dataclass(frozen=True)
class Button:
    label: str
    action_id: str
    value: str = ""
    style: str | None = None
    url: str | None = None
    confirm: Confirm | None = None


@dataclass(frozen=True)
class Buttons:
    buttons: tuple[Button, ...]
    numbered: bool = False  # choices: the terminal lists them 1., 2., 3. and the shell takes the number


@dataclass(frozen=True)
class Footer:
    """Small grey footer text."""

    text: str


@dataclass(frozen=True)
class Divider:
    pass


Part = Header | Text | Fields | Buttons | Footer | Divider


class HasParts(Protocol):
    """Anything rendered from parts (a Reply)."""

    @property
    def parts(self) -> list[Part]: ...
