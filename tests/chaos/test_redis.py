"""Redis going away and Redis hanging: a worker carries on, and Slack still gets its acks in time."""

from __future__ import annotations

import time

import tests.support.jobkinds  # noqa: F401  (the test.steps job kind)
from bot.framework.context import Context
from bot.framework.starting import submit
from bot.services import Services
from bot.slack.notifier import SlackNotifier
from tests.chaos.conftest import wait_until
from tests.support.redis_server import HungServer, RedisServer
from tests.support.serve import ServeProcess
from tests.support.signing import slash_command_body
from tests.support.worker import WorkerProcess

STEPS = "test.steps"
ACK_BOUND = 2.5


def test_redis_killed_and_restarted_mid_job(settings, slack_api, tmp_path, chaos):
    (tmp_path / "redis").mkdir()
    server = RedisServer(tmp_path / "redis")
    cfg = settings.model_copy(update={"redis_url": server.url})
    services = Services(cfg, notifier=SlackNotifier(cfg))
    ctx = Context(cfg, services, user_id="U0USER", channel_id="C0CHAN", transport="slack")
    worker = WorkerProcess(cfg, tmp_path)
    try:
        record, _ = submit(ctx, STEPS, {"steps": 24, "sleep": 0.25}, "a job Redis drops out of")
        wait_until(lambda: (r := services.jobs.get(record.id)) and r.status == "running", what="the job running")
        server.stop()  # Redis is gone while the job runs ...
        time.sleep(3)
        server.start()  # ... and back, with its data
        back = chaos.clock()
        final = wait_until(lambda: (r := services.jobs.get(record.id)) and r.done and r, 90, "the job to end")
        assert worker.proc.poll() is None, "the worker quit:\n" + worker.log.read_text()[-2000:]
        assert final.status == "succeeded" or final.error, final
        after, _ = submit(ctx, STEPS, {"steps": 1, "sleep": 0}, "a job after the outage")
        done = wait_until(lambda: (r := services.jobs.get(after.id)) and r.done and r, 60, "the next job")
        assert done.status == "succeeded"
        outcome = f"worker alive; job {final.status}; next job ran"
        chaos.record("Redis killed 3 s mid-job", outcome, chaos.clock() - back)
    finally:
        worker.stop()
        services.close()
        server.stop()


COMMANDS = {
    "help": "`/image help`",
    "ask what is an AMI?": "AMI",
    "jobs": "job store is unavailable",
    "job 7f3a": "job store is unavailable",
    "job cancel 7f3a": "job store is unavailable",
    "job check": "job store is unavailable",
    "compare startup": "Start-up time",
}


def test_redis_hung_during_slash_commands(settings, slack_api, tmp_path, chaos):
    hung = HungServer()
    serve = ServeProcess(settings.model_copy(update={"redis_url": hung.url}), tmp_path)
    try:
        status, reason = serve.request("GET", "/readyz")
        assert status == 503 and "does not answer" in reason
        slowest = 0.0
        for text, expected in COMMANDS.items():
            started = time.monotonic()
            status, body = serve.post_signed(slash_command_body(text, slack_api.response_url()).encode())
            took = time.monotonic() - started
            slowest = max(slowest, took)
            assert status == 200 and took < ACK_BOUND, (text, status, round(took, 2))
            assert expected in body, (text, body[:300])
        chaos.record("Redis hung (accepts, never answers)", f"7 commands acked, slowest {slowest:.2f} s", None)
    finally:
        serve.stop()
        hung.stop()
