"""Durations as people type them: `90m`, `8h`, `2d`, `1d12h`, and `0` (none); to seconds and back."""

from __future__ import annotations

import re

from bot.core.command import PREFIX
from bot.core.errors import CommandError
from bot.core.text import echo

DURATION = re.compile(r"(?:(?P<d>\d{1,4})d)?(?:(?P<h>\d{1,5})h)?(?:(?P<m>\d{1,6})m)?")
UNIT_SECONDS = {"d": 86400, "h": 3600, "m": 60}


def duration_seconds(text: str) -> int | None:
    """Seconds in `8h`, `90m`, `2d`, `1d12h` or `0`; None when it is not a duration."""
    value = str(text).strip().lower().replace(" ", "")
    if value == "0":
        return 0
    found = DURATION.fullmatch(value)
    if not value or found is None:
        return None
    return sum(int(n) * UNIT_SECONDS[unit] for unit, n in found.groupdict().items() if n)


def parse_duration(text: str, option: str = "ttl", command: str = "launch <ami-id>") -> int:
    """Like `duration_seconds`, or a CommandError saying what to type instead (`command` is the example's)."""
    seconds = duration_seconds(text)
    if seconds is None:
        raise CommandError(
            f"`{echo(text)}` is not a duration. Write a number with `m`, `h` or `d`, like "
            f"`{PREFIX} {command} --{option} 8h` (or `90m`, `2d`; `0` for none)."
        )
    return seconds


def duration_text(seconds: int) -> str:
    """`8h`, `1d12h`, `90m` → `1h30m`; `0` for none."""
    if seconds <= 0:
        return "0"
    out = ""
    for unit, size in UNIT_SECONDS.items():
        if seconds >= size:
            out += f"{seconds // size}{unit}"
            seconds %= size
    return out or "0"
