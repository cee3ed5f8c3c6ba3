"""Structured (JSON lines) logging with every configured secret scrubbed.

Servers log to stderr. The terminal transports (shell, `imagebot run`) log to
a file instead, so no JSON line or traceback lands between a prompt and a
reply; `run` also prints warnings-or-worse to stderr, one line each.
"""

from __future__ import annotations

import json
import logging
import logging.handlers
import re
import sys
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from bot.core.markup import Mrkdwn

# Token shapes scrubbed even when they were never configured (pasted into a command, say).
TOKEN_PATTERN = re.compile(r"\b(xox[abposr]-[A-Za-z0-9-]{8,}|xapp-[A-Za-z0-9-]{8,}|(?:AKIA|ASIA)[A-Z0-9]{16})\b")
LOG_FILE_BYTES = 5_000_000  # then imagebot.log.1, .2: a long sandbox session cannot fill the disk
_STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}


class Scrubber:
    """Replaces known secrets and token-shaped strings with a marker."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self.secrets = sorted({s for s in secrets if len(s) >= 6}, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        scrubbed = str(text)
        for secret in self.secrets:
            scrubbed = scrubbed.replace(secret, "[redacted]")
        scrubbed = TOKEN_PATTERN.sub("[redacted]", scrubbed)
        if scrubbed == text:
            return text  # unchanged, and still Mrkdwn when it was
        return Mrkdwn(scrubbed) if isinstance(text, Mrkdwn) else scrubbed  # only a plain marker was put in


class JsonFormatter(logging.Formatter):
    def __init__(self, scrub: Scrubber) -> None:
        super().__init__()
        self.scrub = scrub

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": round(record.created, 3),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        entry.update({k: v for k, v in record.__dict__.items() if k not in _STANDARD})
        if record.exc_info:
            entry["traceback"] = self.formatException(record.exc_info)
        return self.scrub(json.dumps(entry, default=str))


class OneLineFormatter(logging.Formatter):
    """`imagebot: warning: …` — the message's first line, scrubbed; never a traceback."""

    def __init__(self, scrub: Scrubber) -> None:
        super().__init__()
        self.scrub = scrub

    def format(self, record: logging.LogRecord) -> str:
        first = (record.getMessage().strip().splitlines() or [""])[0][:300]
        return self.scrub(f"imagebot: {record.levelname.lower()}: {first}")


def configure_logging(level: str = "INFO", secrets: Iterable[str] = (), stream: Any = None) -> None:
    """Send every log record to stderr as one scrubbed JSON line."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter(Scrubber(secrets)))
    _install([handler], level)


def configure_file_logging(
    path: Path,
    level: str = "INFO",
    secrets: Iterable[str] = (),
    warnings_to: Any = None,
    not_shown: Iterable[str] = (),
) -> Path | None:
    """Every record as a JSON line in `path`; with `warnings_to`, warnings-or-worse there as one line each.

    `not_shown`: loggers whose warnings stay in the file only (the terminal already says it another way).

    Returns the file, or None when it cannot be written (then only the one-liners, to stderr).
    Exceptions in threads and Python warnings are logged too, so nothing prints a traceback by itself.
    """
    scrub = Scrubber(secrets)
    handlers: list[logging.Handler] = []
    written: Path | None = path
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        file_handler: logging.Handler = logging.handlers.RotatingFileHandler(
            path, maxBytes=LOG_FILE_BYTES, backupCount=2, encoding="utf-8"
        )
        file_handler.setFormatter(JsonFormatter(scrub))
        handlers.append(file_handler)
    except OSError:
        written, warnings_to = None, warnings_to or sys.stderr
    if warnings_to is not None:
        brief = logging.StreamHandler(warnings_to)
        brief.setLevel(logging.WARNING)
        brief.setFormatter(OneLineFormatter(scrub))
        hidden = tuple(not_shown)
        brief.addFilter(lambda record: not record.name.startswith(hidden) if hidden else True)
        handlers.append(brief)
    _install(handlers, level)
    logging.captureWarnings(True)
    threading.excepthook = _log_thread_exception
    return written


def _log_thread_exception(args: threading.ExceptHookArgs) -> None:
    if args.exc_type is SystemExit or args.exc_value is None:
        return
    name = args.thread.name if args.thread else "a thread"
    logging.getLogger("imagebot.threads").error("unhandled exception in %s", name, exc_info=args.exc_value)


def _install(handlers: list[logging.Handler], level: str) -> None:
    root = logging.getLogger()
    for old in root.handlers:
        if isinstance(old, logging.FileHandler) and old not in handlers:
            old.close()  # a log file from an earlier call
    root.handlers[:] = handlers
    root.setLevel(level)
    for noisy in ("botocore", "urllib3", "werkzeug", "slack_bolt", "slack_sdk", "rq.worker"):
        logging.getLogger(noisy).setLevel(max(logging.INFO, logging.getLevelName(level)))
