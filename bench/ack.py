"""How long the bot takes to handle a signed `/image help`, against a bare Bolt app.

Both apps run in this process with request verification on; each request is
signed and dispatched with `app.dispatch`, exactly as Bolt's HTTP adapters do.
Prints p50/p99 per app and the ratio (target: bot/bare p50 <= 1.5).

    .venv/bin/python bench/ack.py [N]
"""

from __future__ import annotations

import statistics
import sys
import time
from urllib.parse import urlencode

from slack_bolt import App, BoltRequest
from slack_sdk import WebClient
from slack_sdk.signature import SignatureVerifier

from bot.core.config import load_settings
from bot.services import Services
from bot.slack.app import build_app
from tests.support.slack_api import SlackStandIn

SECRET = "bench-signing-secret"


def request(text: str) -> BoltRequest:
    body = urlencode(
        {
            "command": "/image",
            "text": text,
            "user_id": "U1",
            "channel_id": "C1",
            "team_id": "T1",
            "response_url": "http://127.0.0.1:9/r",
            "trigger_id": "t",
        }
    )
    ts = str(int(time.time()))
    sig = SignatureVerifier(SECRET).generate_signature(timestamp=ts, body=body)
    return BoltRequest(
        body=body,
        headers={
            "x-slack-request-timestamp": [ts],
            "x-slack-signature": [sig or ""],
            "content-type": ["application/x-www-form-urlencoded"],
        },
    )


def bare_app(api_url: str) -> App:
    client = WebClient(token="xoxb-bench", base_url=api_url)
    app = App(client=client, signing_secret=SECRET, token_verification_enabled=False)

    @app.command("/image")
    def only_ack(ack):  # type: ignore[no-untyped-def]
        ack()

    return app


def measure(app: App, n: int) -> list[float]:
    times = []
    for _ in range(n):
        req = request("help")
        start = time.perf_counter()
        resp = app.dispatch(req)
        times.append((time.perf_counter() - start) * 1000)
        assert resp.status == 200, resp.body
    return times


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1]


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    slack = SlackStandIn()  # answers the one auth.test each app makes on its first request
    settings = load_settings(SLACK_BOT_TOKEN="xoxb-bench", SLACK_SIGNING_SECRET=SECRET, SLACK_API_URL=slack.url)
    bot = build_app(settings, Services(settings), verify_token=False)
    bare = bare_app(slack.url)
    measure(bot, 200)
    measure(bare, 200)  # warm up both
    results = {}
    for name, app in (("bare", bare), ("imagebot", bot)):
        t = measure(app, n)
        results[name] = (pct(t, 50), pct(t, 99))
        print(f"{name:9s} n={n}  p50={results[name][0]:.3f} ms  p99={results[name][1]:.3f} ms")
    print(f"ratio p50 imagebot/bare = {results['imagebot'][0] / results['bare'][0]:.2f}  (target <= 1.5)")
    print(f"ratio p99 imagebot/bare = {results['imagebot'][1] / results['bare'][1]:.2f}")
    slack.stop()


if __name__ == "__main__":
    main()
