"""The Reply every handler returns, rendered to Block Kit (`bot.core.blocks`) or terminal text."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.core.blocks import clip, render_blocks
from bot.core.parts import Part, Text
from bot.core.proposal import Proposal
from bot.core.terminal import render_text

FALLBACK_TEXT = 3000


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
        return cls(parts=[Text(f":warning: {text}")], ok=False)

    @property
    def text(self) -> str:
        """Plain fallback text: notifications, screen readers and the shell's one-liners."""
        return clip(render_text(self, color=False), FALLBACK_TEXT)

    def to_blocks(self) -> list[dict[str, Any]]:
        return render_blocks(self)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "ok": self.ok,
            "text": self.text,
            "blocks": self.to_blocks(),
            "ephemeral": self.ephemeral,
        }
        if self.job_id:
            out["job_id"] = self.job_id
        if self.data is not None:
            out["data"] = self.data
        return out
