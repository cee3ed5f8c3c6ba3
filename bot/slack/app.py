"""The Bolt app: acks every request at once and renders Replies; it wires listeners and holds no logic.

Quick commands answer in the ack itself; slow ones (AWS or Docker look-ups)
ack with a short "working on it" and answer through `respond()` when done.
@mentions and DMs are questions for `/image ask`.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable
from typing import Any

import redis
from slack_bolt import Ack, App, Respond, Say

from bot.core.command import PREFIX, Command
from bot.core.config import Settings
from bot.core.errors import CommandError
from bot.core.reply import Reply
from bot.core.text import clean, too_long
from bot.dispatch import confirm
from bot.dispatch.parse import parse
from bot.dispatch.registry import REGISTRY
from bot.dispatch.run import execute
from bot.framework.context import Context
from bot.framework.subcommand import Registry
from bot.services import Services
from bot.slack import modals
from bot.slack.client import web_client
from bot.slack.groups import SlackGroups
from bot.slack.notifier import SlackNotifier
from bot.slack.replies import message_payload, restarted, settle
from bot.slack.work import WorkPool

log = logging.getLogger(__name__)

MENTION = re.compile(r"<@[A-Z0-9]+(?:\|[^>]*)?>")
EVENT_KEY = "imagebot:event:{0}"  # an event already answered (Slack redelivers with X-Slack-Retry-Num)
EVENT_TTL = 3600
ACTION = re.compile(r"^imagebot\.")


def build_app(
    settings: Settings,
    services: Services,
    registry: Registry | None = None,
    *,
    socket_mode: bool = False,
    verify_token: bool = True,
    pool: WorkPool | None = None,
    clock: Callable[[], float] = time.time,
) -> App:
    """The Bolt app for these settings and services; Slack's job messages and user groups are wired in here.

    Every listener acks, then leaves anything that may take time to `pool`, so acks never queue behind work.
    `clock` tells the App Home when it last published.
    """
    registry = registry or REGISTRY
    secret = settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else None
    app = App(
        client=web_client(settings),
        signing_secret=secret,
        request_verification_enabled=not socket_mode,
        token_verification_enabled=verify_token,
        raise_error_for_unhandled_request=False,
    )
    services.access.groups_of = SlackGroups(app.client)
    services.notifier = SlackNotifier(settings)
    pool = pool or WorkPool(settings.slack_workers)  # the transport passes its own to drain it on shutdown

    def context_for(user: str, channel: str) -> Context:
        return Context(settings, services, user_id=user, channel_id=channel, transport="slack", registry=registry)

    modals.register(app, context_for, pool)  # before the /image and button listeners: Bolt runs the first that matches

    from bot.slack import home, shortcuts  # they build on this module's reply helpers

    home.register(app, services, context_for, pool, clock)  # before on_action: home buttons have no response_url
    shortcuts.register(app, context_for, pool)

    @app.command(PREFIX)
    def on_command(ack: Ack, command: dict[str, Any], respond: Respond) -> None:
        ctx = context_for(command.get("user_id", ""), command.get("channel_id", ""))
        try:
            cmd = parse(clean(command.get("text", "")), registry)
        except CommandError as exc:
            ack(response_type="ephemeral", **message_payload(Reply.error(exc.message)))
            return
        spec = registry.get(cmd.name)
        if spec is not None and spec.is_slow(cmd):
            working = Reply.message(f":hourglass_flowing_sand: Working on `{PREFIX} {cmd.name}`…")
            ack(response_type="ephemeral", **message_payload(working))

            def answer_later() -> None:
                reply = settle(ctx, execute(ctx, cmd), cmd)
                respond(response_type=_response_type(reply), replace_original=False, **message_payload(reply))

            def interrupted() -> None:
                respond(response_type="ephemeral", replace_original=False, **message_payload(restarted(cmd.text)))

            pool.submit(answer_later, interrupted)
            return
        reply = settle(ctx, execute(ctx, cmd), cmd)
        ack(response_type=_response_type(reply), **message_payload(reply))

    @app.event("app_mention")
    def on_mention(body: dict[str, Any], event: dict[str, Any], say: Say) -> None:
        if not first_delivery(services, body):
            return
        ctx = context_for(event.get("user", ""), event.get("channel", ""))

        thread = event.get("thread_ts") or event.get("ts")

        def reply_in_thread() -> None:
            reply = answer(ctx, MENTION.sub("", event.get("text", "")))
            say(thread_ts=thread, **message_payload(reply))

        pool.submit(reply_in_thread, lambda: say(thread_ts=thread, **message_payload(restarted("your question"))))

    @app.event("message")
    def on_message(body: dict[str, Any], event: dict[str, Any], say: Say) -> None:
        if event.get("channel_type") != "im" or event.get("bot_id") or event.get("subtype"):
            return
        if not first_delivery(services, body):
            return
        ctx = context_for(event.get("user", ""), event.get("channel", ""))

        def reply_in_dm() -> None:
            reply = answer(ctx, event.get("text", ""))
            say(thread_ts=event.get("thread_ts"), **message_payload(reply))

        pool.submit(reply_in_dm, lambda: say(**message_payload(restarted("your question"))))

    @app.action(ACTION)
    def on_action(ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        ack()
        ctx = context_for(body.get("user", {}).get("id", ""), body.get("channel", {}).get("id", ""))
        pool.submit(lambda: respond_to_click(ctx, action, registry, respond))

    @app.error
    def on_error(error: Exception, body: dict[str, Any]) -> None:
        ref = uuid.uuid4().hex[:8]
        log.error("unhandled error in a Slack listener", exc_info=error, extra={"ref": ref, "type": body.get("type")})

    return app


def first_delivery(services: Services, body: dict[str, Any]) -> bool:
    """False for an event Slack delivers again (its ack was slow): answered once, in every process, by event_id."""
    event_id = str(body.get("event_id") or "")
    if not event_id:
        return True
    try:
        return bool(services.redis.set(EVENT_KEY.format(event_id), "1", nx=True, ex=EVENT_TTL))
    except redis.RedisError as exc:  # answer twice rather than not at all
        log.warning("cannot check an event for a redelivery", extra={"event_id": event_id, "error": type(exc).__name__})
        return True


def respond_to_click(ctx: Context, action: dict[str, Any], registry: Registry, respond: Respond) -> None:
    """A button click, after its ack: Confirm/Cancel resolve a proposal; the others run their command."""
    if action.get("action_id") in (confirm.CONFIRM_ACTION, confirm.CANCEL_ACTION):
        accepted = action["action_id"] == confirm.CONFIRM_ACTION
        reply, replace = confirm.resolve(ctx, clean(action.get("value") or ""), accepted)
        respond(response_type="ephemeral", replace_original=replace, **message_payload(reply))
        return
    reply, response_type, replace = run_action(ctx, action, registry)
    respond(response_type=response_type, replace_original=replace, **message_payload(reply))


def answer(ctx: Context, text: str) -> Reply:
    """A free-form message (mention or DM): a question for `ask`, or help when empty."""
    text = clean(text).strip()
    refusal = too_long(text)
    if refusal:
        return Reply.error(refusal)
    if not text or text.lower() in ("help", "?"):
        return execute(ctx, Command(name="help"))
    return execute(ctx, Command(name="ask", args=(text,), text=f"{PREFIX} ask {text}"))


def run_action(ctx: Context, action: dict[str, Any], registry: Registry) -> tuple[Reply, str, bool]:
    """A button click: `imagebot.run` runs its command privately; `imagebot.share` posts it in channel."""
    value = clean(action.get("value") or "")
    try:
        cmd = parse(value, registry)
        reply = settle(ctx, execute(ctx, cmd), cmd)  # a costly action's button gets its Confirm/Cancel too
    except CommandError as exc:
        return Reply.error(exc.message), "ephemeral", False
    if action.get("action_id") == "imagebot.share":
        return reply, "in_channel", False
    return reply, "ephemeral", False


def _response_type(reply: Reply) -> str:
    return "ephemeral" if reply.ephemeral else "in_channel"
