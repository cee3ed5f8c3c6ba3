"""The message shortcut "Ask imagebot about this": the message's text goes to `/image ask`, answered in its thread.

The answer is ephemeral (`chat.postEphemeral` with the message's thread), after the ack. Where the bot
cannot post (a channel it is not in), it answers through the shortcut's response_url instead.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.core.command import PREFIX, Command
from bot.core.reply import Reply
from bot.core.text import clean
from bot.dispatch.run import execute
from bot.framework.context import Context
from bot.slack.app import MENTION, answer, message_payload, restarted
from bot.slack.work import WorkPool

log = logging.getLogger(__name__)

ASK_ABOUT = "imagebot.ask_about"  # the shortcut's callback_id in manifest.yml

ContextFor = Callable[[str, str], Context]


def register(app: App, context_for: ContextFor, pool: WorkPool) -> None:
    """Wire the "Ask imagebot about this" message shortcut into `app`."""

    @app.message_shortcut(ASK_ABOUT)
    def on_ask_about(ack: Ack, shortcut: dict[str, Any], client: WebClient, respond: Respond) -> None:
        ack()
        user = shortcut.get("user", {}).get("id", "")
        channel = shortcut.get("channel", {}).get("id", "")
        message = shortcut.get("message", {})
        thread = message.get("thread_ts") or message.get("ts")
        ctx = context_for(user, channel)

        def post(reply: Reply) -> None:
            try:
                client.chat_postEphemeral(channel=channel, user=user, thread_ts=thread, **message_payload(reply))
            except SlackApiError as exc:  # not in that channel, say: the response_url still reaches the user
                log.info("answering a shortcut through its response_url", extra={"error": exc.response.get("error")})
                respond(response_type="ephemeral", replace_original=False, **message_payload(reply))

        pool.submit(lambda: post(ask_about(ctx, message.get("text") or "")), lambda: post(restarted("your question")))


def ask_about(ctx: Context, text: str) -> Reply:
    """A message's text as a question: the mention and DM path, except that no text is ask's own reply, not help."""
    question = MENTION.sub("", text)
    if not clean(question).strip():
        return execute(ctx, Command(name="ask", text=f"{PREFIX} ask"))
    return answer(ctx, question)
