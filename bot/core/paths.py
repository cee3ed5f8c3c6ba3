"""Where the local transports keep their files: the user's state directory (XDG_STATE_HOME), never the cwd."""

from __future__ import annotations

import os
from pathlib import Path

APP = "imagebot"


def state_dir() -> Path:
    """`$XDG_STATE_HOME/imagebot`, or `~/.local/state/imagebot` when XDG_STATE_HOME is unset or relative."""
    base = os.environ.get("XDG_STATE_HOME", "")
    root = Path(base) if base and Path(base).is_absolute() else Path.home() / ".local" / "state"
    return root / APP


def log_file() -> Path:
    """The shell's and `imagebot run`'s log: JSON lines, everything the terminal is spared."""
    return state_dir() / "imagebot.log"


def history_file() -> Path:
    """The shell's command history (readline)."""
    return state_dir() / "history"


def shown(path: Path) -> str:
    """A path as a person would type it: `~/…` under the home directory."""
    try:
        return "~/" + str(path.relative_to(Path.home()))
    except ValueError:
        return str(path)
