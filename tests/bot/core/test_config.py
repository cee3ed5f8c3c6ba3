import subprocess
import sys

import pytest

from bot.core.config import load_settings
from bot.core.errors import ConfigError
from bot.worker.reaper import RQ_LEASE_GRACE


@pytest.mark.parametrize(
    "env, name",
    [
        ({"PORT": "eighty"}, "PORT"),
        ({"REDIS_URL": "localhost:6379"}, "REDIS_URL"),
        ({"AWS_RETRY_MODE": "sometimes"}, "AWS_RETRY_MODE"),
        ({"SLACK_API_URL": "slack.com/api"}, "SLACK_API_URL"),
        ({"IMAGEBOT_DEFAULT_REGION": "mars"}, "IMAGEBOT_DEFAULT_REGION"),
    ],
)
def test_a_malformed_variable_is_named(monkeypatch, env, name):
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    with pytest.raises(ConfigError) as err:
        load_settings()
    assert str(err.value).startswith(f"Configuration error: {name}:")


def test_missing_slack_tokens_stop_serve_with_one_line(monkeypatch):
    env = {k: v for k, v in __import__("os").environ.items() if not k.startswith("SLACK_")}
    proc = subprocess.run([sys.executable, "-m", "bot.cli", "serve"], env=env, capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "imagebot: SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET must be set for this mode (see .env.example and the README)."
    ]


def test_secrets_are_listed_for_scrubbing():
    s = load_settings(SLACK_BOT_TOKEN="xoxb-1234567890", SLACK_SIGNING_SECRET="abcdef123456")
    assert set(s.secrets()) == {"xoxb-1234567890", "abcdef123456"}
    assert "xoxb-1234567890" not in repr(s)


def test_with_the_defaults_a_dead_workers_job_is_reported_within_two_minutes(monkeypatch):
    for name in ("IMAGEBOT_JOB_HEARTBEAT_SECONDS", "IMAGEBOT_JOB_REAPER_SECONDS"):
        monkeypatch.delenv(name, raising=False)
    s = load_settings()
    # RQ's lease on a running job ends 60 s after the worker's last renewal; a reaper then runs within its interval
    assert s.job_heartbeat_seconds + RQ_LEASE_GRACE + s.job_reaper_seconds <= 120
