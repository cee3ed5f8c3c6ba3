"""Formatting helpers written once: sizes, durations, times, progress bars and "did you mean"."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable
from datetime import datetime

UNITS = (("year", 365 * 86400), ("month", 30 * 86400), ("day", 86400), ("hour", 3600), ("minute", 60))
COMPACT_UNITS = (("d", 86400), ("h", 3600), ("m", 60))


def human_size(size: int) -> str:
    """Bytes in decimal units, like the docker CLI: `512 B`, `12.3 MB`."""
    value = float(size)
    for unit in ("B", "kB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{int(value)} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{value:.1f} GB"


def compact_duration(seconds: float) -> str:
    """A duration in its largest whole unit: `45s`, `3m`, `2h`, `4d` (job listings)."""
    seconds = max(0, int(seconds))
    for unit, size in COMPACT_UNITS:
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def time_ago(when: datetime, now: datetime) -> str:
    """How long ago (or how far ahead) a moment is: `3 days ago`, `in 2 months`, `just now`."""
    seconds = (now - when).total_seconds()
    span = abs(seconds)
    for unit, size in UNITS:
        if span >= size:
            n = int(span // size)
            text = f"{n} {unit}{'' if n == 1 else 's'}"
            return f"{text} ago" if seconds >= 0 else f"in {text}"
    return "just now"


def when_text(when: datetime | None, now: datetime, date_only: bool = False) -> str:
    """`2026-11-20 10:00 UTC (3 days ago)`, or `—` when unknown."""
    if when is None:
        return "—"
    stamp = when.strftime("%Y-%m-%d" if date_only else "%Y-%m-%d %H:%M UTC")
    return f"{stamp} ({time_ago(when, now)})"


def progress_bar(fraction: float, width: int = 10) -> str:
    filled = round(min(1.0, max(0.0, fraction)) * width)
    return "▓" * filled + "░" * (width - filled)


def percent(fraction: float) -> str:
    return f"{round(min(1.0, max(0.0, fraction)) * 100)}%"


def closest(word: str, choices: Iterable[str], n: int = 3, cutoff: float = 0.6) -> list[str]:
    """The choices closest to a (mistyped) word, best first."""
    return difflib.get_close_matches(word, list(choices), n=n, cutoff=cutoff)


def did_you_mean(candidates: Iterable[str], show: Callable[[str], str] = lambda c: f"`{c}`") -> str:
    """` Did you mean `a` or `b`?` for the candidates, or nothing when there are none."""
    shown = [show(c) for c in candidates]
    return f" Did you mean {' or '.join(shown)}?" if shown else ""
