"""Slack's Web API failing job updates, and a worker killed while it holds a job's dedupe key."""

from __future__ import annotations

import os
import signal

import tests.support.jobkinds  # noqa: F401  (the test.steps job kind)
from bot.framework.starting import submit
from bot.jobs.record import WORKER_DIED
from bot.worker.reaper import reap, started_registry
from bot.worker.runtime import Runtime
from tests.chaos.conftest import wait_until

STEPS = "test.steps"


def test_slack_answering_500_and_429_to_job_updates(ctx, services, slack_api, start_worker, chaos):
    start_worker()
    slack_api.fail_next("chat.update", status=500, times=2)
    slack_api.fail_next("chat.update", status=429, retry_after=1)
    record, _ = submit(ctx, STEPS, {"steps": 6, "sleep": 0.4}, "a job whose updates Slack refuses")
    final = wait_until(lambda: (r := services.jobs.get(record.id)) and r.done and r, what="the job to end")
    assert final.status == "succeeded"  # Slack failing never fails the job
    thread = wait_until(
        lambda: [c for c in slack_api.calls_to("chat.postMessage") if c.body.get("thread_ts") == final.message_ts],
        what="the result in its thread",
    )
    assert "6 steps done" in thread[0].body["text"]
    updates = [c for c in slack_api.calls_to("chat.update") if c.body.get("ts") == final.message_ts]
    assert "done" in updates[-1].body["text"]  # the message still ends up showing the result
    chaos.record("Slack Web API 500 x2 and 429 on job updates", "job succeeded; message and thread right", None)


def test_a_worker_killed_holding_the_dedupe_key_loses_no_job_and_runs_none_twice(
    ctx, settings, services, slack_api, start_worker, chaos
):
    worker = start_worker()
    args = {"steps": 50, "sleep": 0.2, "image": "nginx:1.27"}
    first, _ = submit(ctx, STEPS, args, "a job whose worker dies")
    running = wait_until(lambda: (r := services.jobs.get(first.id)) and r.fraction > 0 and r, what="it running")
    again, created = submit(ctx, STEPS, args, "the same request")
    assert not created and again.id == first.id  # held: asked again while it runs is the same job
    os.kill(running.pid, signal.SIGKILL)
    os.kill(worker.proc.pid, signal.SIGKILL)
    worker.proc.wait(5)
    rt = Runtime(settings, services)
    lease = max(score for _, score in services.redis.zrange(started_registry(rt).key, 0, -1, withscores=True))
    assert reap(rt, now=lease + 1) == [first.id]
    dead = services.jobs.get(first.id)
    assert dead.status == "failed" and dead.error == WORKER_DIED and dead.attempts == 1
    retried_at = chaos.clock()
    retry, created = submit(ctx, STEPS, {**args, "steps": 2, "sleep": 0}, "asked again after the failure")
    assert created and retry.id != first.id
    same, created = submit(ctx, STEPS, args, "the same request as the dead job")
    assert created and same.id != first.id  # the dead job's key was released: not answered with a failed job
    start_worker()
    for job in (retry, same):
        wait_until(lambda job=job: (r := services.jobs.get(job.id)) and r.status == "succeeded", what="the new jobs")
    assert services.jobs.get(first.id).attempts == 1  # the dead job never ran again
    outcome = "failed once, key released, new jobs ran"
    chaos.record("worker SIGKILLed holding a dedupe key", outcome, chaos.clock() - retried_at)
