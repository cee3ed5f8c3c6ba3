"""The Reply every handler returns, rendered to Block Kit (`bot.core.blocks`) or terminal text."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.core.markup import md
from bot.core.parts import Part, Text
from bot.core.proposal import Proposal
from bot.core.terminal import render_text


@dataclass
class Reply:
    """What a handler answers. `ok=False` marks a failed command (non-zero exit in the CLI)."""

    parts: list[Part] = field(default_factory=list)
    ephemeral: bool = True
    ok: bool = True
    job_id: str | None = None
    data: dict[str, Any] | None = None
    proposal: Proposal | None = None  # a costly action waiting for confirmation

    @classmethod
    def message(cls, text: str, **kwargs: Any) -> Reply:
        return cls(parts=[Text(text)], **kwargs)

    @classmethod
    def error(cls, text: str) -> Reply:
        return cls(parts=[Text(md(":warning: {}", text))], ok=False)

    @property
    def text(self) -> str:
        """The fallback `text` Slack gets beside the blocks (notifications, screen readers): escaped mrkdwn."""
        from bot.core.blocks import render_fallback  # slack_sdk loads only where Slack's shapes are needed

        return render_fallback(self)

    @property
    def plain(self) -> str:
        """What a person reads in a terminal: markup made readable, entities decoded."""
        return render_text(self, color=False)

    def to_blocks(self) -> list[dict[str, Any]]:
        from bot.core.blocks import render_blocks

        return render_blocks(self)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "ok": self.ok,
            "text": self.text,
            "plain": self.plain,
            "blocks": self.to_blocks(),
            "ephemeral": self.ephemeral,
        }
        if self.job_id:
            out["job_id"] = self.job_id
        if self.data is not None:
            out["data"] = self.data
        return out
