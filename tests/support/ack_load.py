"""Slash-command load for timing acks: 30 slow `/image ami status` requests at once, with `/image help` among them.

Shared by tests/bot/slack/test_acks_under_load.py and bench/acks_under_load.py.
Every request is a signed `/image <text>` POSTed over HTTP to an app's
/slack/events URL, each in its own thread, and timed on its own: from just
before it is sent to its whole response read. Each request's response_url is
its own path at the Slack stand-in, named after the request. The app under
load runs as a subprocess; `stop_app` ends it.
"""

from __future__ import annotations

import json
import subprocess
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass

from tests.support.signing import SIGNING_SECRET, signed_headers, slash_command_body
from tests.support.slack_api import SlackStandIn

SLOW = 30  # slow commands in flight at once
HELP_BETWEEN = 5  # a help after every fifth slow command ...
HELP_AFTER = 6  # ... and this many more, one every HELP_GAP seconds, while the slow ones work
HELP_GAP = 0.4
JOIN_TIMEOUT = 15.0  # seconds to wait for each request's thread


@dataclass
class Sent:
    """One request as the client saw it."""

    name: str
    text: str
    took: float = 0.0
    status: int = 0
    body: str = ""
    answered_before: int = -1  # slow answers already at the stand-in when this one was sent


def post(url: str, text: str, response_url: str, secret: str = SIGNING_SECRET) -> tuple[int, str]:
    """One signed `/image <text>` over HTTP: (status, body)."""
    body = slash_command_body(text, response_url)
    headers = {k: v[0] for k, v in signed_headers(body, secret).items()}
    request = urllib.request.Request(url, data=body.encode(), headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def send_timed(url: str, sent: Sent, slack: SlackStandIn, secret: str = SIGNING_SECRET) -> None:
    """Send one request and time it alone: from just before sending to the whole response read.

    Fills in `sent`: its status and body (-1 and the error's repr when it could
    not be sent or read), how long it took, and how many answers had reached
    the stand-in's response_url before it went out.
    """
    response_url = slack.response_url(sent.name)
    sent.answered_before = len(slack.calls_to("response_url"))
    start = time.perf_counter()
    try:
        sent.status, sent.body = post(url, sent.text, response_url, secret)
    except (urllib.error.URLError, OSError) as exc:  # a timeout or a refused connection is a failure too
        sent.status, sent.body = -1, repr(exc)
    sent.took = time.perf_counter() - start


def send_load(
    url: str, slack: SlackStandIn, ami_id: str, prefix: str = "", secret: str = SIGNING_SECRET
) -> tuple[list[Sent], list[Sent]]:
    """SLOW `/image ami status <ami_id>` at once, with helps in between and after: (slow, helps), each timed.

    A help goes out after every HELP_BETWEEN-th slow command, then HELP_AFTER
    more, one every HELP_GAP seconds, while the slow ones work. Requests are
    named `{prefix}slow-<i>` and `{prefix}help-<i>`. Returns once every
    request's thread has finished (or JOIN_TIMEOUT has passed for it).
    """
    slow = [Sent(f"{prefix}slow-{i}", f"ami status {ami_id}") for i in range(SLOW)]
    helps: list[Sent] = []
    threads: list[threading.Thread] = []

    def start(sent: Sent) -> None:
        thread = threading.Thread(target=send_timed, args=(url, sent, slack, secret), daemon=True)
        thread.start()
        threads.append(thread)

    for i, sent in enumerate(slow):
        start(sent)
        if i % HELP_BETWEEN == HELP_BETWEEN - 1:
            helps.append(Sent(f"{prefix}help-{len(helps)}", "help"))
            start(helps[-1])
    for _ in range(HELP_AFTER):
        time.sleep(HELP_GAP)
        helps.append(Sent(f"{prefix}help-{len(helps)}", "help"))
        start(helps[-1])
    for thread in threads:
        thread.join(JOIN_TIMEOUT)
    return slow, helps


def ack_text(sent: Sent) -> str:
    """The text of an ack's JSON body ('' when it is not JSON)."""
    try:
        return str(json.loads(sent.body).get("text", ""))
    except ValueError:
        return ""


def stop_app(proc: subprocess.Popen[bytes]) -> None:
    """Terminate the app's subprocess, killing it when it does not stop within 10 s."""
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)
