"""The job's Slack message: posted once, updated in place, final word in its thread.

All Slack calls go through `bot.slack.web_client`, which retries rate limits
(429, honouring Retry-After) and dropped connections. Updates of one message
are at least MIN_UPDATE_SECONDS apart, across processes: the time of the last
update is kept in the job record. A Slack failure is logged, never fails a job.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

from slack_sdk.errors import SlackClientError

from bot.jobs import CANCELED, SUCCEEDED, JobRecord, JobStore, status_line
from bot.reply import Context, Fields, Reply, Text

if TYPE_CHECKING:
    from slack_sdk import WebClient

    from bot.config import Settings

log = logging.getLogger(__name__)

MIN_UPDATE_SECONDS = 1.0
SLACK_ERRORS = (SlackClientError, OSError)


class SlackNotifier:
    """Reports one job's progress to its Slack message, when it has one."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._client: WebClient | None = None

    @property
    def client(self) -> WebClient:
        if self._client is None:
            from bot.slack import web_client

            self._client = web_client(self.settings)
        return self._client

    def post_start(self, record: JobRecord) -> str | None:
        """Post the job's message in its channel; returns its ts (None when Slack refused)."""
        response = self._call("chat.postMessage", channel=record.channel, **_payload(status_line(record)))
        return str(response["ts"]) if response else None

    def update(self, store: JobStore, record: JobRecord) -> None:
        """Show the record's current state in its message, no sooner than a second after the last update."""
        if not record.message_ts:
            return
        wait_for_throttle(store, record.id)
        store.set_fields(record.id, slack_updated_at=time.time())
        self._call("chat.update", channel=record.channel, ts=record.message_ts, **_payload(status_line(record)))

    def finish(self, store: JobStore, record: JobRecord) -> None:
        """The final state in the message and the result or error in its thread."""
        if not record.message_ts:
            return
        self.update(store, record)
        reply = final_reply(record)
        self._call(
            "chat.postMessage",
            channel=record.channel,
            thread_ts=record.thread_ts or record.message_ts,
            text=reply.text,
            blocks=reply.to_blocks(),
        )

    def _call(self, method: str, **kwargs: Any) -> Any:
        try:
            return self.client.api_call(method, json=kwargs)
        except SLACK_ERRORS as exc:
            log.warning("Slack call failed", extra={"method": method, "error": str(exc)})
            return None


def wait_for_throttle(store: JobStore, job_id: str) -> None:
    """Sleep until the job's message may be updated again."""
    record = store.get(job_id)
    if record is not None:
        time.sleep(max(0.0, record.slack_updated_at + MIN_UPDATE_SECONDS - time.time()))


def final_reply(record: JobRecord) -> Reply:
    """The thread reply when a job ends."""
    if record.status == SUCCEEDED:
        parts: list[Any] = [Text(f":white_check_mark: Job `{record.id}` done: {record.summary or record.target}")]
        if record.result_fields:
            parts.append(Fields(tuple((label, value) for label, value in record.result_fields)))
        return Reply(parts=parts)
    if record.status == CANCELED:
        return Reply(parts=[Text(f":no_entry_sign: Job `{record.id}` was canceled ({record.stage}).")])
    return Reply(
        parts=[
            Text(f":x: Job `{record.id}` failed: {record.error}"),
            Context(f"`/image job {record.id}` shows the details; run the command again to retry."),
        ]
    )


def _payload(text: str) -> dict[str, Any]:
    reply = Reply.message(text)
    return {"text": reply.text, "blocks": reply.to_blocks()}
