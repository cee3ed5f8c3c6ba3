"""Slash-command ack times with 30 slow commands in flight: `imagebot serve` against a bare Bolt app that only acks.

Starts its own redis-server on a free port, moto's server (in this process)
behind a SlowProxy that adds 4 s to every AWS call, and the Slack stand-in.
Both apps run in subprocesses served the same way (waitress, 8 threads, on a
free port, request verification on): the real `imagebot serve`, and bench.ack's
bare Bolt app that only acks. Each gets the same load, ROUNDS times: 30 signed
`/image ami status <id>` requests at once (two AWS calls each, so 8 s of work
per command), a signed `/image help` after every fifth of them and six more,
one every 0.4 s, while they work. Every request is timed alone, from just
before it is sent to its whole response read. For the bot, each round also
waits until all 30 answers have reached their own response_url.
Prints p50/p99/max ack per app, the ratio bot/bare, and the target: p99 ack
under 1 s with 30 slow commands in flight, met or missed.

    .venv/bin/python -m bench.acks_under_load [ROUNDS]
"""

from __future__ import annotations

import logging
import os
import statistics
import subprocess
import sys
import time
import urllib.error
from pathlib import Path

from bench.ack import SECRET, bare_app
from bench.services import free_port, start_redis, stop_redis
from bot.core.config import load_settings
from bot.services import Services
from tests.support.ack_load import SLOW, Sent, ack_text, post, send_load, stop_app
from tests.support.ec2 import create_ami
from tests.support.slack_api import SlackStandIn
from tests.support.slow_aws import SlowProxy

REPO = Path(__file__).resolve().parent.parent
DELAY = 4.0  # seconds added to every AWS call
TARGET = 1.0  # seconds: p99 ack
BOT_TOKEN = "xoxb-bench"


def start_app(argv: list[str], env: dict[str, str], log_path: Path, port: int) -> subprocess.Popen[bytes]:
    """Start one app's subprocess and wait until a signed `/image help` gets a 200."""
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            argv,
            cwd=REPO,
            env={**env, "PYTHONPATH": str(REPO), "PORT": str(port)},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    url = events_url(port)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if post(url, "help", "http://127.0.0.1:9/warm-up", SECRET)[0] == 200:
                return proc
        except (urllib.error.URLError, ConnectionError):
            pass
        time.sleep(0.1)
    proc.kill()
    sys.exit(f"{' '.join(argv)} did not answer on {url}:\n{log_path.read_text(errors='replace')[-3000:]}")


def events_url(port: int) -> str:
    """The app's Slack request URL."""
    return f"http://127.0.0.1:{port}/slack/events"


def one_round(url: str, slack: SlackStandIn, ami_id: str, tag: str) -> tuple[list[Sent], list[Sent]]:
    """30 slow commands at once with helps in between and after: (slow, helps), each timed."""
    slow, helps = send_load(url, slack, ami_id, f"{tag}-", SECRET)
    failed = [f"{s.name}: {s.status} {s.body[:80]}" for s in slow + helps if s.status != 200]
    if failed:
        sys.exit(f"{len(failed)} requests failed: {failed[:5]}")
    return slow, helps


def run_load(url: str, slack: SlackStandIn, ami_id: str, rounds: int, answered: bool) -> tuple[list[Sent], list[float]]:
    """`rounds` rounds of load; with `answered`, each waits for its 30 answers. (every request, answer times)."""
    sent: list[Sent] = []
    answer_times = []
    for r in range(rounds):
        slack.reset()
        start = time.monotonic()
        slow, helps = one_round(url, slack, ami_id, f"r{r}")
        sent += slow + helps
        if answered:
            assert all("Working on" in ack_text(s) for s in slow), "a slow command was not acked"
            calls = slack.wait_for("response_url", count=SLOW, timeout=120)
            assert {c.path for c in calls} == {f"/response/{s.name}" for s in slow}, "answers went astray"
            assert all(ami_id in c.body["text"] for c in calls), "an answer does not name the AMI"
            answer_times.append(max(c.at for c in calls) - start)
    return sent, answer_times


def pct(values: list[float], q: int) -> float:
    """The q-th percentile, interpolated between samples (never beyond the largest: n is small)."""
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def line(name: str, sent: list[Sent]) -> tuple[float, float]:
    """Print one row of ack figures (ms); return (p50, p99) in seconds."""
    t = [s.took for s in sent]
    p50, p99 = pct(t, 50), pct(t, 99)
    print(f"{name:28s} n={len(t):3d}  p50={p50 * 1000:7.1f} ms  p99={p99 * 1000:7.1f} ms  max={max(t) * 1000:7.1f} ms")
    return p50, p99


def serve_bare() -> None:
    """The baseline, run as `python -m bench.acks_under_load --bare`: bench.ack's bare app under waitress on $PORT."""
    import waitress
    from slack_bolt.adapter.wsgi import SlackRequestHandler

    app = bare_app(os.environ["SLACK_API_URL"])
    waitress.serve(SlackRequestHandler(app), host="0.0.0.0", port=int(os.environ["PORT"]), threads=8)


def main() -> None:
    """Start the services and both apps, load each the same way, print the figures."""
    if sys.argv[1:] == ["--bare"]:
        serve_bare()
        return
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    os.environ.update(AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", MOTO_EC2_LOAD_DEFAULT_AMIS="false")
    os.environ.pop("AWS_PROFILE", None)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    from moto.server import ThreadedMotoServer

    redis_proc, redis_url, workdir = start_redis("bench.acks_under_load")
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto.start()
    host, port = moto.get_host_and_port()
    moto_url = f"http://{host}:{port}"
    ami_id = create_ami(Services(load_settings(AWS_ENDPOINT_URL=moto_url)), "us-east-1", "bench-web")
    proxy = SlowProxy(moto_url, DELAY)
    slack = SlackStandIn()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "IMAGEBOT_", "AWS_"))}
    env.update(
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_API_URL=slack.url,
        REDIS_URL=redis_url,
        AWS_ENDPOINT_URL=proxy.url,
        AWS_ACCESS_KEY_ID="bench",
        AWS_SECRET_ACCESS_KEY="bench",
        IMAGEBOT_DEFAULT_REGION="us-east-1",
        IMAGEBOT_LOG_LEVEL="WARNING",
    )
    if "IMAGEBOT_SLACK_WORKERS" in os.environ:  # the one setting of the bot's own that a run may vary
        env["IMAGEBOT_SLACK_WORKERS"] = os.environ["IMAGEBOT_SLACK_WORKERS"]
    workers = load_settings().slack_workers  # as the bot will read it
    logs = Path(workdir)
    bare_port, bot_port = free_port(), free_port()
    apps: list[subprocess.Popen[bytes]] = []
    try:
        apps.append(
            start_app([sys.executable, "-m", "bench.acks_under_load", "--bare"], env, logs / "bare.log", bare_port)
        )
        apps.append(start_app([sys.executable, "-m", "bot.cli", "serve"], env, logs / "serve.log", bot_port))
        bare_sent, _ = run_load(events_url(bare_port), slack, ami_id, rounds, answered=False)
        calls_before = proxy.forwarded
        bot_sent, answer_times = run_load(events_url(bot_port), slack, ami_id, rounds, answered=True)
        print(
            f"per round: {SLOW} signed `/image ami status <id>` at once (2 AWS calls each, +{DELAY * 1000:.0f} ms "
            f"per call) and {len(bot_sent) // rounds - SLOW} `/image help`; rounds={rounds}"
        )
        print(f"both apps: a subprocess under waitress (8 threads); imagebot's work pool: {workers} threads")
        bare50, bare99 = line("bare Bolt app (acks only)", bare_sent)
        bot50, bot99 = line("imagebot serve", bot_sent)
        line("  slow acks (Working on…)", [s for s in bot_sent if "slow" in s.name])
        line("  /image help (answered)", [s for s in bot_sent if "help" in s.name])
        print(
            f"  all {SLOW} answers at their response_url {statistics.median(answer_times):.1f} s after the first "
            f"send (median of rounds; {proxy.forwarded - calls_before} AWS calls through the proxy)"
        )
        print(f"ratio p50 imagebot/bare = {bot50 / bare50:.2f}")
        print(f"ratio p99 imagebot/bare = {bot99 / bare99:.2f}")
        verdict = "met" if bot99 < TARGET else "MISSED"
        print(
            f"target: p99 ack under {TARGET:g} s with {SLOW} slow commands in flight: {verdict} "
            f"(p99 = {bot99 * 1000:.1f} ms)"
        )
    finally:
        for app in apps:
            stop_app(app)
        slack.stop()
        proxy.stop()
        moto.stop()
        stop_redis(redis_proc, workdir)


if __name__ == "__main__":
    main()
