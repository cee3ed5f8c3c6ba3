"""The Slack transport as a process: HTTP (waitress) or Socket Mode, with probes and a graceful stop.

On SIGTERM (or Ctrl-C) a process stops taking requests, lets the answers in
flight finish for up to IMAGEBOT_SHUTDOWN_SECONDS, tells the people whose
answers did not finish in time to try again, and exits 0.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from types import FrameType
from typing import NoReturn

import waitress
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_sdk.socket_mode.builtin.client import SocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest

from bot.core.config import Settings
from bot.core.metrics import count_ack
from bot.health import Health, serve_health
from bot.services import Services
from bot.slack.app import build_app
from bot.slack.http import SlackHttp
from bot.slack.work import WorkPool

log = logging.getLogger(__name__)

HTTP_THREADS = 8


def run_http(settings: Settings, services: Services) -> int:
    """`imagebot serve`: Slack's HTTP requests and the probes on $PORT."""
    pool = WorkPool(settings.slack_workers)
    app = build_app(settings, services, pool=pool)
    server = waitress.create_server(
        SlackHttp(app, settings, Health(settings, services)),
        host=settings.bind,
        port=settings.port,
        threads=HTTP_THREADS,
        max_request_body_size=settings.max_request_bytes,  # refused with 413 before the body is read
        ident="imagebot",
    )
    _exit_on_signals()
    log.info("serving Slack over HTTP", extra={"bind": settings.bind, "port": settings.port})
    server.run()  # until SIGTERM: waitress stops its loop and its request threads
    finish(pool, settings.shutdown_seconds)
    return exit_now(0)


def run_socket(settings: Settings, services: Services) -> int:
    """`imagebot socket`: Slack's Socket Mode connection; probes on IMAGEBOT_HEALTH_PORT."""
    if settings.slack_app_token is None:
        raise ValueError("SLACK_APP_TOKEN is required")  # settings.require() has said so already
    pool = WorkPool(settings.slack_workers)
    app = build_app(settings, services, socket_mode=True, pool=pool)
    health = serve_health(settings, Health(settings, services))
    stopped = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stopped.set())
    # a connection that ends without a close frame is noticed after a few missed pings, then replaced
    token = settings.slack_app_token.get_secret_value()
    handler = TimedSocketModeHandler(app, token, ping_interval=settings.socket_ping_seconds)
    handler.connect()
    log.info("connected to Slack in Socket Mode")
    stopped.wait()
    handler.close()  # no new envelopes
    finish(pool, settings.shutdown_seconds)
    if health is not None:
        health.close()
    return exit_now(0)


class TimedSocketModeHandler(SocketModeHandler):
    """Bolt's Socket Mode handler, timing each envelope from its arrival to its ack for the metrics."""

    def handle(self, client: SocketModeClient, req: SocketModeRequest) -> None:  # type: ignore[override]  # as Bolt
        started = time.monotonic()
        super().handle(client, req)
        count_ack(time.monotonic() - started)


def finish(pool: WorkPool, seconds: float) -> None:
    """Let the answers in flight finish for up to `seconds`, then tell the rest to try again."""
    log.info("stopping: finishing the answers in flight", extra={"in_flight": pool.in_flight})
    if not pool.drain(seconds):
        told = pool.interrupt_pending()
        log.warning("stopped before every answer was finished", extra={"told": told})


def exit_now(code: int) -> NoReturn:
    """Leave without waiting for work threads that are past the shutdown bound (their people were told)."""
    logging.shutdown()
    os._exit(code)


def _exit_on_signals() -> None:
    def stop(signum: int, frame: FrameType | None) -> None:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a second SIGTERM does not cut the drain short
        raise SystemExit(0)  # waitress's loop ends on SystemExit and shuts its request threads down

    signal.signal(signal.SIGTERM, stop)
