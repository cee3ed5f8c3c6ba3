"""Platforms (`os/architecture[/variant]`): parsing what a user typed and matching what an engine reports."""

from __future__ import annotations

import re
from typing import Any

from bot.core.errors import CommandError
from bot.core.text import echo

PLATFORM = re.compile(r"[a-z0-9_]+/[a-z0-9_]+(?:/[a-z0-9_]+)?")


def parse_platform(text: str) -> str:
    """`linux/arm64` or `linux/arm/v7`, lowercased; anything else is a friendly CommandError."""
    platform = text.strip().lower()
    if not PLATFORM.fullmatch(platform):
        raise CommandError(
            f"`{echo(text)}` is not a platform. Write it as os/architecture, like `linux/amd64` or `linux/arm64`."
        )
    return platform


def same_platform(wanted: str, actual: str) -> bool:
    """`linux/arm64` matches `linux/arm64/v8`; a variant asked for must match."""
    want, have = wanted.split("/"), actual.split("/")
    return want[:2] == have[:2] and (len(want) < 3 or want == have)


def platform_name(p: dict[str, Any]) -> str:
    parts = [p.get("os") or p.get("OS") or "?", p.get("architecture") or p.get("Architecture") or "?"]
    variant = p.get("variant") or p.get("Variant")
    return "/".join([*parts, variant] if variant else parts)


def image_platform(attrs: dict[str, Any]) -> str:
    keys = {"os": attrs.get("Os"), "architecture": attrs.get("Architecture"), "variant": attrs.get("Variant")}
    return platform_name(keys)
