"""Job messages in Slack: posted once, updated in place, the final word in their thread.

Updates of one message are at least MIN_UPDATE_SECONDS apart, across
processes: the time of the last update is kept in the job record. A Slack
failure is logged, never fails a job.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackClientError

from bot.core.config import Settings
from bot.core.logs import Scrubber
from bot.core.metrics import SLACK_API_ERRORS
from bot.core.reply import Reply
from bot.core.scrub import scrub_reply
from bot.jobs.display import final_reply, status_line
from bot.jobs.record import JobRecord
from bot.jobs.store import JobStore
from bot.slack.client import web_client

log = logging.getLogger(__name__)

MIN_UPDATE_SECONDS = 1.0
SLACK_ERRORS = (SlackClientError, OSError)


class SlackNotifier:
    """Shows jobs started from Slack in their channel (jobs with no message are left alone)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.scrub = Scrubber(settings.secrets())
        self._lock = threading.Lock()
        self._client: WebClient | None = None

    @property
    def client(self) -> WebClient:
        with self._lock:
            if self._client is None:
                self._client = web_client(self.settings)
            return self._client

    def started(self, record: JobRecord) -> str | None:
        """Post the job's message in its channel; returns its ts (None when Slack refused)."""
        response = self._call("chat.postMessage", channel=record.channel, **self._payload(status_line(record)))
        return str(response["ts"]) if response else None

    def progressed(self, store: JobStore, record: JobRecord) -> None:
        """Show the record's current state in its message, no sooner than a second after the last update."""
        if not record.message_ts:
            return
        wait_for_throttle(store, record.id)
        store.set_fields(record.id, slack_updated_at=time.time())
        self._call("chat.update", channel=record.channel, ts=record.message_ts, **self._payload(status_line(record)))

    def finished(self, store: JobStore, record: JobRecord) -> None:
        """The final state in the message and the result or error in its thread."""
        if not record.message_ts:
            return
        self.progressed(store, record)
        reply = scrub_reply(final_reply(record), self.scrub)
        self._call(
            "chat.postMessage",
            channel=record.channel,
            thread_ts=record.thread_ts or record.message_ts,
            text=reply.text,
            blocks=reply.to_blocks(),
        )

    def tell(self, user_id: str, reply: Reply) -> bool:
        """A DM from the bot (posted to the user id: the app's Messages tab); False when Slack refused it."""
        reply = scrub_reply(reply, self.scrub)
        return self._call("chat.postMessage", channel=user_id, text=reply.text, blocks=reply.to_blocks()) is not None

    def _payload(self, text: str) -> dict[str, Any]:
        reply = scrub_reply(Reply.message(text), self.scrub)
        return {"text": reply.text, "blocks": reply.to_blocks()}

    def _call(self, method: str, **kwargs: Any) -> Any:
        try:
            return self.client.api_call(method, json=kwargs)
        except SLACK_ERRORS as exc:
            log.warning("Slack call failed", extra={"method": method, "error": str(exc)})
            SLACK_API_ERRORS.labels(method).inc()
            return None


def wait_for_throttle(store: JobStore, job_id: str) -> None:
    """Sleep until the job's message may be updated again."""
    record = store.get(job_id)
    if record is not None:
        time.sleep(max(0.0, record.slack_updated_at + MIN_UPDATE_SECONDS - time.time()))
