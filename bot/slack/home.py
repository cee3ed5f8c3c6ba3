"""The App Home tab: published on every open (at most once per user every few seconds), and its buttons.

Opening the tab publishes `home_view` for the user, after Bolt's ack, in the work pool. Opens closer
together than PUBLISH_SECONDS publish once, across processes: a Redis key per user holds the time of
the last publish (`SET NX EX`; a stale value is replaced under WATCH). A button on the home has no
response_url, so its command's reply goes to the user's DM with the bot instead.
"""

from __future__ import annotations

import logging
import math
import re
import time
from collections.abc import Callable
from typing import Any

import redis
from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.core.text import clean, echo
from bot.framework.context import Context
from bot.services import Services
from bot.slack.app import message_payload, restarted, run_action
from bot.slack.home_view import RUN_ACTION, home_view
from bot.slack.work import WorkPool

log = logging.getLogger(__name__)

HOME_KEY = "imagebot:home:{0}"  # the clock time of the user's last home publish
PUBLISH_SECONDS = 5.0

Clock = Callable[[], float]
ContextFor = Callable[[str, str], Context]


class PublishThrottle:
    """`allow(user)`: True at most once per user every `window` seconds, in every process sharing Redis."""

    def __init__(self, services: Services, window: float = PUBLISH_SECONDS, clock: Clock = time.time) -> None:
        self.services = services
        self.window = window
        self.clock = clock

    def allow(self, user_id: str) -> bool:
        key, now = HOME_KEY.format(user_id), self.clock()
        expiry = math.ceil(self.window)
        try:
            client = self.services.redis
            if client.set(key, repr(now), nx=True, ex=expiry):
                return True
            return self._replace_if_stale(client, key, now, expiry)
        except redis.RedisError as exc:  # publish rather than leave the home stale
            log.warning("cannot throttle a home publish", extra={"error": type(exc).__name__})
            return True

    def _replace_if_stale(self, client: redis.Redis, key: str, now: float, expiry: int) -> bool:
        with client.pipeline() as pipe:
            try:
                pipe.watch(key)
                last = pipe.get(key)
                if last is not None and 0 <= now - _seconds(last) < self.window:
                    return False
                pipe.multi()
                pipe.set(key, repr(now), ex=expiry)
                pipe.execute()
                return True
            except redis.WatchError:  # another process published just now
                return False


def _seconds(raw: Any) -> float:
    try:
        return float(raw)
    except (TypeError, ValueError):
        return -math.inf  # unreadable: stale


def register(app: App, services: Services, context_for: ContextFor, pool: WorkPool, clock: Clock = time.time) -> None:
    """Wire the home tab and its buttons into `app`, before the general button listener (it needs a response_url)."""
    throttle = PublishThrottle(services, clock=clock)

    @app.event("app_home_opened")
    def on_home_opened(event: dict[str, Any], client: WebClient) -> None:
        if event.get("tab") != "home":
            return
        user = event.get("user", "")
        ctx = context_for(user, event.get("channel", ""))

        def publish() -> None:
            if throttle.allow(user):
                client.views_publish(user_id=user, view=home_view(ctx))

        pool.submit(publish)

    @app.action(re.compile(rf"^{re.escape(RUN_ACTION)}$"), matchers=[from_home])
    def on_home_click(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        ack()
        user = body.get("user", {}).get("id", "")
        dm = clean(body.get("view", {}).get("private_metadata") or "") or user  # a user id posts in their DM
        ctx = context_for(user, dm)

        def answer_in_dm() -> None:
            reply, _, _ = run_action(ctx, action, ctx.subcommands)
            client.chat_postMessage(channel=dm, **message_payload(reply))

        sorry = message_payload(restarted(echo(clean(action.get("value") or ""))))
        pool.submit(answer_in_dm, lambda: client.chat_postMessage(channel=dm, **sorry))


def from_home(body: dict[str, Any]) -> bool:
    """A click on the App Home view (it has no response_url to answer through)."""
    return body.get("container", {}).get("type") == "view" and body.get("view", {}).get("type") == "home"
