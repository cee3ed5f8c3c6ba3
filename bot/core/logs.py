"""Structured (JSON lines) logging with every configured secret scrubbed."""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterable
from typing import Any

from bot.core.markup import Mrkdwn

# Token shapes scrubbed even when they were never configured (pasted into a command, say).
TOKEN_PATTERN = re.compile(r"\b(xox[abposr]-[A-Za-z0-9-]{8,}|xapp-[A-Za-z0-9-]{8,}|(?:AKIA|ASIA)[A-Z0-9]{16})\b")
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


def configure_logging(level: str = "INFO", secrets: Iterable[str] = (), stream: Any = None) -> None:
    """Send every log record to stderr as one scrubbed JSON line."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter(Scrubber(secrets)))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("botocore", "urllib3", "werkzeug", "slack_bolt", "slack_sdk", "rq.worker"):
        logging.getLogger(noisy).setLevel(max(logging.INFO, logging.getLevelName(level)))
