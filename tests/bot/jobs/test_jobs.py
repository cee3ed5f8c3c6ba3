"""Jobs end to end: a real redis-server, a real worker subprocess, the Slack stand-in."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import pytest
from rq import Queue
from rq.job import Job, JobStatus

import tests.support.jobkinds  # noqa: F401 - registers the test job kinds in this process too
from bot.core.config import load_settings
from bot.dispatch.run import dispatch
from bot.framework.context import Context
from bot.framework.starting import submit
from bot.jobs.queue import QUEUE
from bot.jobs.record import WORKER_DIED
from bot.jobs.store import JobStore
from bot.services import Services
from bot.shell import repl
from bot.worker.reaper import RQ_LEASE_GRACE, reap, started_registry
from bot.worker.runtime import Runtime
from tests.conftest import BOT_TOKEN, free_port

REPO = Path(__file__).resolve().parents[3]
STEPS = "test.steps"
WORKER_HEARTBEAT = 2  # IMAGEBOT_JOB_HEARTBEAT_SECONDS of the test workers (tests/support/worker.py)


@pytest.fixture
def store(services, settings):
    return JobStore(services.redis, settings)


def wait_until(check, timeout=15.0, what="the condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def wait_status(store, job_id, *statuses, timeout=15.0):
    return wait_until(lambda: (r := store.get(job_id)) and r.status in statuses and r, timeout, f"job in {statuses}")


def updates_of(slack_api, ts):
    return [c for c in slack_api.calls_to("chat.update") if c.body.get("ts") == ts]


def thread_replies(slack_api, ts):
    return [c for c in slack_api.calls_to("chat.postMessage") if c.body.get("thread_ts") == ts]


# ----------------------------------------------------------------- running


def test_a_job_runs_reports_progress_in_place_and_replies_in_its_thread(ctx, store, slack_api, start_worker):
    start_worker()
    record, created = submit(ctx, STEPS, {"steps": 8, "sleep": 0.4}, "stepping through eight steps")
    assert created and 4 <= len(record.id) <= 6
    first = slack_api.calls_to("chat.postMessage")[0]
    assert first.body["channel"] == "C0CHAN" and f"Job {record.id}: stepping through eight steps" in first.body["text"]
    ts = store.get(record.id).message_ts
    assert ts

    midway = wait_until(lambda: (r := store.get(record.id)) and 0 < r.fraction < 1 and r, what="progress mid-way")
    assert midway.status == "running" and midway.stage.startswith("step ")
    final = wait_status(store, record.id, "succeeded")
    assert final.summary == "8 steps done" and final.fraction == 1.0

    replies = slack_api.wait_for("chat.postMessage", count=2)
    reply = [c for c in replies if c.body.get("thread_ts") == ts]
    assert reply and "8 steps done" in reply[0].body["text"]
    updates = updates_of(slack_api, ts)
    assert len(updates) >= 2 and "%" in updates[0].body["text"]
    assert "done" in updates[-1].body["text"]
    # throttled to one update a second: tested on the monitor's own clock (tests/bot/worker/test_background.py),
    # not on arrival times here, which a busy machine compresses


def test_a_transient_failure_is_retried_and_a_permanent_one_is_not(ctx, store, slack_api, start_worker):
    start_worker()
    flaky, _ = submit(ctx, STEPS, {"steps": 2, "sleep": 0.05, "transient": 1}, "flaky")
    broken, _ = submit(ctx, STEPS, {"fail": "the image does not exist; check the name"}, "broken")
    assert wait_status(store, flaky.id, "succeeded", "failed").status == "succeeded"
    assert store.get(flaky.id).attempts == 2
    failed = wait_status(store, broken.id, "failed")
    assert failed.attempts == 1 and failed.error == "the image does not exist; check the name"
    time.sleep(1.5)  # a retry would have started by now
    assert store.get(broken.id).attempts == 1
    wait_until(lambda: thread_replies(slack_api, failed.message_ts), what="the failure in the thread")
    assert "does not exist" in thread_replies(slack_api, failed.message_ts)[0].body["text"]


def test_a_secret_in_a_job_error_is_scrubbed_everywhere_it_is_shown(ctx, store, slack_api, start_worker):
    start_worker()
    leaked = f"the token {BOT_TOKEN} and the key AKIAABCDEFGHIJKLMNOP were refused"
    record, _ = submit(ctx, STEPS, {"fail": leaked}, "a job that fails with a secret in its error")
    failed = wait_status(store, record.id, "failed")
    assert failed.error == "the token [redacted] and the key [redacted] were refused"
    thread = wait_until(lambda: thread_replies(slack_api, failed.message_ts), what="the thread reply")
    shown = dispatch(ctx, f"/image job {record.id}")
    for text in (thread[0].body["text"], str(thread[0].body["blocks"]), shown.text, str(shown.to_blocks())):
        assert BOT_TOKEN not in text and "AKIAABCDEFGHIJKLMNOP" not in text


def test_a_killed_worker_leaves_a_failed_job_reported_in_its_thread(
    ctx, settings, services, store, slack_api, start_worker
):
    """RQ's lease on the job runs out; a reaper in any other process (here: this one) fails it and says so."""
    worker = start_worker()
    record, _ = submit(ctx, STEPS, {"steps": 100, "sleep": 0.2}, "a long job")
    running = wait_until(lambda: (r := store.get(record.id)) and r.fraction > 0 and r, what="the job running")
    os.kill(running.pid, signal.SIGKILL)  # the work horse running the job
    os.kill(worker.proc.pid, signal.SIGKILL)  # and the worker that forked it: the machine is gone
    worker.proc.wait(5)
    killed_at = time.time()
    rt = Runtime(settings, services)
    lease_ends = max(score for _, score in store.redis.zrange(started_registry(rt).key, 0, -1, withscores=True))
    assert lease_ends <= killed_at + WORKER_HEARTBEAT + RQ_LEASE_GRACE + 1  # the worker renewed it to this, no later
    assert reap(rt, now=killed_at) == [] and store.get(record.id).status == "running"  # a live lease is left alone
    assert reap(rt, now=lease_ends + 1) == [record.id]
    failed = store.get(record.id)
    assert failed.status == "failed" and failed.error == WORKER_DIED
    reply = wait_until(lambda: thread_replies(slack_api, running.message_ts), what="the thread reply")
    assert WORKER_DIED in reply[0].body["text"]
    assert record.id not in started_registry(rt).get_job_ids(cleanup=False)
    assert reap(rt, now=lease_ends + 1) == []  # reaped once


def test_a_job_whose_worker_died_before_it_started_is_failed_too(settings, services, ctx, store, slack_api):
    """A worker took the job from RQ and died before the record said running: the record still ends."""
    record, _ = submit(ctx, STEPS, {"steps": 1}, "taken, then lost")
    registry = started_registry(Runtime(settings, services))
    store.redis.zadd(registry.key, {f"{record.id}:lost-execution": time.time() + 5})  # what a worker writes
    assert store.get(record.id).status == "queued"
    assert reap(Runtime(settings, services), now=time.time() + 10) == [record.id]
    assert store.get(record.id).status == "failed" and store.get(record.id).error == WORKER_DIED


def test_a_killed_work_horse_fails_its_job_at_once_through_its_worker(ctx, store, slack_api, start_worker):
    start_worker()
    record, _ = submit(ctx, STEPS, {"steps": 100, "sleep": 0.2}, "a long job")
    running = wait_until(lambda: (r := store.get(record.id)) and r.fraction > 0 and r, what="the job running")
    os.kill(running.pid, signal.SIGKILL)  # only the work horse: its worker lives on and notices
    failed = wait_status(store, record.id, "failed")
    assert failed.error.startswith(WORKER_DIED) and "signal 9" in failed.error
    assert failed.attempts == 1  # not retried: a job that killed its process may do so again
    wait_until(lambda: thread_replies(slack_api, running.message_ts), what="the thread reply")


# ------------------------------------------------------------------ dedupe


def test_a_duplicate_submission_yields_one_job(ctx, store):
    args = {"steps": 3, "image": "nginx:1.27"}
    with ThreadPoolExecutor(6) as pool:
        results = list(pool.map(lambda _: submit(ctx, STEPS, dict(args), "pulling nginx:1.27"), range(6)))
    ids = {record.id for record, _ in results}
    assert len(ids) == 1 and sum(created for _, created in results) == 1
    assert len(Queue(QUEUE, connection=store.redis)) == 1
    again, created = submit(ctx, STEPS, {"image": " nginx:1.27 ", "steps": 3}, "pulling nginx:1.27")
    assert again.id in ids and not created
    other, created = submit(replace(ctx, user_id="U0OTHER"), STEPS, dict(args), "pulling nginx:1.27")
    assert created and other.id not in ids  # another person's identical request is their own job


def test_an_id_reserved_by_a_submission_still_writing_is_no_job_yet(ctx, store):
    """Between reserving its id and writing its record a submission is invisible, never a half record."""
    job_id = store.claim_id()
    assert store.get(job_id) is None
    reply = dispatch(ctx, f"/image job {job_id}")
    assert not reply.ok and f"There is no job `{job_id}`" in reply.text


# ------------------------------------------------------------------ cancel


def test_cancel_a_queued_job(ctx, store, slack_api):
    record, _ = submit(ctx, STEPS, {"steps": 3}, "never to run")
    reply = dispatch(ctx, f"/image job cancel {record.id}")
    assert reply.ok and "Canceled job" in reply.text
    canceled = store.get(record.id)
    assert canceled.status == "canceled"
    assert len(Queue(QUEUE, connection=store.redis)) == 0
    assert "canceled" in thread_replies(slack_api, canceled.message_ts)[0].body["text"]
    again = dispatch(ctx, f"/image job cancel {record.id}")
    assert not again.ok and "already canceled" in again.text


def test_cancel_a_running_job(ctx, store, slack_api, start_worker):
    start_worker()
    record, _ = submit(ctx, STEPS, {"steps": 100, "sleep": 0.1}, "a long job")
    wait_until(lambda: (r := store.get(record.id)) and r.fraction > 0, what="the job running")
    reply = dispatch(ctx, f"/image job cancel {record.id}")
    assert reply.ok and "Asked the worker to stop" in reply.text
    canceled = wait_status(store, record.id, "canceled", timeout=5)
    assert canceled.fraction < 1 and "U0USER" in canceled.stage
    wait_until(lambda: thread_replies(slack_api, canceled.message_ts), what="the thread reply")


def test_cancel_stops_a_running_job_mid_step_through_rq(ctx, store, slack_api, start_worker):
    """A step that would take a minute is not waited for: RQ stops the work horse, the record says canceled."""
    start_worker()
    record, _ = submit(ctx, STEPS, {"steps": 2, "sleep": 60}, "a job stuck in a long step")
    wait_until(lambda: (r := store.get(record.id)) and r.stage == "step 1 of 2", what="the job in its first step")
    assert dispatch(ctx, f"/image job cancel {record.id}").ok
    canceled = wait_status(store, record.id, "canceled", timeout=15)
    assert canceled.stage == "canceled by U0USER" and canceled.fraction < 1
    stopped = lambda: Job.fetch(record.id, connection=store.redis).get_status() == JobStatus.STOPPED  # noqa: E731
    wait_until(stopped, what="RQ to mark the job stopped")
    wait_until(lambda: thread_replies(slack_api, canceled.message_ts), what="the thread reply")


def test_someone_elses_cancel_is_refused(ctx, store):
    record, _ = submit(ctx, STEPS, {"steps": 3}, "mine")
    reply = dispatch(replace(ctx, user_id="U0OTHER"), f"/image job cancel {record.id}")
    assert not reply.ok and "only they (or an admin) can cancel it" in reply.text
    assert store.get(record.id).status == "queued"


# ------------------------------------------------------------------- Slack


def test_a_429_from_chat_update_is_retried_not_lost(ctx, store, slack_api, start_worker):
    start_worker()
    slack_api.fail_next("chat.update", status=429, retry_after=1)
    record, _ = submit(ctx, STEPS, {"steps": 2, "sleep": 0.2}, "rate limited")
    final = wait_status(store, record.id, "succeeded")
    wait_until(lambda: thread_replies(slack_api, final.message_ts), what="the thread reply")
    updates = updates_of(slack_api, final.message_ts)
    assert updates[0].body["text"] == updates[1].body["text"]  # the 429 answer, then the same update again
    assert "done" in updates[-1].body["text"]


# ---------------------------------------------------------------- listing


def test_jobs_lists_mine_newest_first_and_all_with_the_flag(ctx, store):
    first, _ = submit(ctx, STEPS, {"n": 1}, "first")
    second, _ = submit(ctx, STEPS, {"n": 2}, "second")
    theirs, _ = submit(replace(ctx, user_id="U0OTHER"), STEPS, {"n": 3}, "theirs")
    mine = dispatch(ctx, "/image jobs")
    assert mine.ok and [j["id"] for j in mine.data["jobs"]] == [second.id, first.id]
    everyone = dispatch(ctx, "/image jobs --all --limit 2")
    assert [j["id"] for j in everyone.data["jobs"]] == [theirs.id, second.id]
    shown = dispatch(ctx, f"/image job {first.id}")
    assert shown.ok and "first" in shown.plain and "queued" in shown.plain and "Cancel job" in shown.plain
    assert "There is no job `ffff`" in dispatch(ctx, "/image job ffff").text
    assert "`--limit` takes a number" in dispatch(ctx, "/image jobs --limit lots").text


def test_redis_down_makes_job_commands_say_so_and_the_rest_still_works(settings):
    down = load_settings(**{**_env_of(settings), "REDIS_URL": f"redis://127.0.0.1:{free_port()}/0"})
    ctx = _shell_ctx(down)
    for text in ("/image jobs", "/image job 7f3a", "/image job check"):
        reply = dispatch(ctx, text)
        assert not reply.ok and "job store is unavailable" in reply.text and "Traceback" not in reply.text
    assert dispatch(ctx, "/image help").ok


def test_a_job_asked_for_in_the_shell_posts_nothing_to_slack(settings, store, slack_api):
    """The shell follows its jobs by polling the record; only the Slack transport shows them in Slack."""
    record, created = submit(_shell_ctx(settings), STEPS, {"steps": 1}, "from the shell")
    assert created and store.get(record.id).message_ts == ""
    assert slack_api.calls_to("chat.postMessage") == []


def _env_of(settings):
    return {"REDIS_URL": settings.redis_url, "SLACK_API_URL": settings.slack_api_url}


def _shell_ctx(settings):
    return Context(settings, Services(settings), user_id="U0USER", transport="shell")


# -------------------------------------------------------------------- CLI


def imagebot_run(settings, *args):
    env = {**os.environ, "REDIS_URL": settings.redis_url, "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", "run", *args], capture_output=True, text=True, env=env, cwd=REPO, timeout=60
    )


def test_run_no_wait_prints_the_job_id_and_returns(settings, store):
    proc = imagebot_run(settings, "/image job check --seconds 1", "--no-wait")
    assert proc.returncode == 0, proc.stderr
    job_id = proc.stdout.split("Started job `")[1].split("`")[0]
    assert store.get(job_id).status == "queued"


def test_run_waits_and_prints_progress_lines(settings, start_worker):
    start_worker()
    proc = imagebot_run(settings, "/image job check --seconds 2")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = [line for line in proc.stdout.splitlines() if line.startswith("Job ")]
    assert sum("%" in line for line in lines) >= 3
    assert "done in" in proc.stdout.splitlines()[-1]


def test_the_shell_waits_for_a_job_and_prints_its_progress(ctx, start_worker):
    start_worker()
    lines = iter(["job check --seconds 1", "exit"])
    out = io.StringIO()
    assert repl(replace(ctx, transport="shell"), read=lambda prompt: next(lines), out=out) == 0
    text = out.getvalue()
    assert "Started job" in text and "%" in text and "done in" in text
