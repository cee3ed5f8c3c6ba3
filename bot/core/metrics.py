"""Prometheus metrics every layer may count into (prometheus_client's default registry).

Each process exposes its own: `imagebot serve` on `/metrics` at $PORT, the
others on IMAGEBOT_HEALTH_PORT. What lives in Redis (queue depth, jobs ended
by kind and status) is read at scrape time, so every process reports the
same fleet-wide figures for those (bot.health).
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram

SLOW_ACK_SECONDS = 2.5

COMMANDS = Counter("imagebot_commands", "Commands run, by subcommand and outcome", ["subcommand", "outcome"])
COMMAND_SECONDS = Histogram(
    "imagebot_command_seconds",
    "Time from a command's dispatch to its reply",
    ["subcommand"],
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)
ACK_SECONDS = Histogram(
    "imagebot_slack_ack_seconds",
    "Time from a Slack request's arrival to its ack",
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 2.5, 3, 5),
)
SLOW_ACKS = Counter("imagebot_slack_slow_acks", f"Slack requests acked after more than {SLOW_ACK_SECONDS} s")
SLACK_API_ERRORS = Counter("imagebot_slack_api_errors", "Slack Web API calls that failed", ["method"])
SLACK_RATE_LIMITED = Counter("imagebot_slack_rate_limited", "Slack Web API answers 429 (retried after Retry-After)")
AWS_ERRORS = Counter("imagebot_aws_errors", "AWS errors answered to a user or a job, by error code", ["code"])


def count_ack(seconds: float) -> None:
    """One Slack request acked after `seconds`."""
    ACK_SECONDS.observe(seconds)
    if seconds > SLOW_ACK_SECONDS:
        SLOW_ACKS.inc()
