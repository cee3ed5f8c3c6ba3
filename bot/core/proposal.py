"""A costly action that a handler has validated and that waits for the requester's confirmation."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.core.permissions import Permission


@dataclass(frozen=True)
class Proposal:
    """What would run once confirmed: the job kind, its arguments and the summary shown to the person."""

    kind: str  # the job kind to submit
    args: dict[str, Any]
    target: str  # one line, e.g. "launching t3.micro from ami-0abc in us-east-1"
    title: str  # e.g. "Launch an instance from ami-0abc?"
    summary: tuple[tuple[str, str], ...] = ()
    permission: Permission = Permission.READ
    warning: str = "This costs money."

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "args": self.args,
            "target": self.target,
            "title": self.title,
            "permission": str(self.permission),
            "warning": self.warning,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Proposal:
        return cls(
            kind=data["kind"],
            args=data["args"],
            target=data["target"],
            title=data["title"],
            permission=Permission(data["permission"]),
            warning=data["warning"],
        )
