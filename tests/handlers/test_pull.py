"""`/image pull` end to end: Slack command -> job -> real worker -> real engine and registry -> Slack stand-in."""

from __future__ import annotations

import pytest

from bot.access.policy import load_policy
from bot.dispatch.run import dispatch
from bot.framework.context import Context
from bot.jobs.record import FAILED, SUCCEEDED
from bot.jobs.store import JobStore
from bot.services import Services
from bot.slack.notifier import SlackNotifier
from tests.support.worker import wait_done

POLICY = """
roles: {puller: {permissions: [pull]}}
grants: {users: {U0USER: [puller]}}
guardrails: {pull: {images: ["127.0.0.1:*/imagebot-test/*"]}}
"""

pytestmark = pytest.mark.docker


@pytest.fixture
def pull_settings(settings, docker_stack, tmp_path):
    policy = tmp_path / "policy.yml"
    policy.write_text(POLICY)
    docker_stack.remove_local(*(image.ref for image in docker_stack.images.values()))
    return settings.model_copy(update={"docker_host": docker_stack.host, "policy_file": str(policy)})


def _services(settings):
    return Services(settings, policy=load_policy(settings.policy_file), notifier=SlackNotifier(settings))


@pytest.fixture
def pull_ctx(pull_settings):
    services = _services(pull_settings)
    yield Context(pull_settings, services, user_id="U0USER", channel_id="C0OPS", transport="slack")
    services.close()


def test_a_pull_runs_as_a_job_and_reports_in_place(pull_ctx, docker_stack, slack_api, start_worker):
    image = docker_stack.images["multi"]
    start_worker(pull_ctx.settings)
    reply = dispatch(pull_ctx, f"/image pull {image.ref}")
    assert reply.ok and reply.job_id, reply.text
    store = JobStore(pull_ctx.services.redis, pull_ctx.settings)
    record = wait_done(store, reply.job_id)
    assert record.status == SUCCEEDED, record.error
    assert image.digest in record.summary or any(image.digest in v for _, v in record.result_fields)
    assert record.fraction == 1.0

    started = slack_api.wait_for("chat.postMessage")[0]
    assert started.body["channel"] == "C0OPS" and f"pulling {image.ref}" in started.body["text"]
    posts = slack_api.wait_for("chat.postMessage", count=2)  # the start message, then the result in its thread
    thread = [c for c in posts if c.body.get("thread_ts") == record.message_ts]
    assert thread and image.digest in str(thread[-1].body)
    updates = [c for c in slack_api.calls_to("chat.update") if c.body.get("ts") == record.message_ts]
    assert updates, "the job's message was updated in place"
    # the once-a-second throttle is tested on the monitor's own clock (tests/bot/worker/test_background.py)


def test_a_missing_tag_fails_the_job_with_the_engines_reason(pull_ctx, docker_stack, start_worker):
    start_worker(pull_ctx.settings)
    missing = docker_stack.images["small"].repository + ":no-such-tag"
    reply = dispatch(pull_ctx, f"/image pull {missing}")
    record = wait_done(JobStore(pull_ctx.services.redis, pull_ctx.settings), reply.job_id)
    assert record.status == FAILED and "no-such-tag" in record.error


def test_an_image_outside_the_allow_list_is_refused_naming_it(pull_ctx):
    reply = dispatch(pull_ctx, "/image pull ghcr.io/someone/miner:1")
    assert not reply.ok and reply.job_id is None
    assert "Pulling `ghcr.io/someone/miner:1` is not allowed" in reply.text
    assert "127.0.0.1:*/imagebot-test/*" in reply.text


def test_a_malformed_reference_starts_nothing(pull_ctx):
    reply = dispatch(pull_ctx, "/image pull Nginx::latest")
    assert not reply.ok and reply.job_id is None


def test_pull_needs_the_permission(pull_settings, docker_stack):
    services = _services(pull_settings)
    ctx = Context(pull_settings, services, user_id="U0OTHER", channel_id="C0OPS", transport="slack")
    reply = dispatch(ctx, f"/image pull {docker_stack.images['small'].ref}")
    assert not reply.ok and "You need the `pull` permission" in reply.text
