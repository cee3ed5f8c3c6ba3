"""The App Home through the real Bolt app: signed app_home_opened events, views.publish at the Web API stand-in."""

from __future__ import annotations

import json
import time
from urllib.parse import urlencode

import pytest
from slack_sdk.models.views import View

from bot.access.policy import load_policy
from bot.core.config import load_settings
from bot.dispatch.registry import REGISTRY
from bot.framework.context import Context
from bot.jobs.record import RUNNING, SUCCEEDED, JobRecord
from bot.services import Services
from bot.slack.app import build_app
from bot.slack.notifier import SlackNotifier
from bot.slack.work import WorkPool
from tests.conftest import free_port
from tests.support.ec2 import create_ami
from tests.support.instances import as_user, launched_by
from tests.support.signing import event_body, send

POLICY = """
contact: "#platform-help"
roles:
  ops: {permissions: [launch, copy]}
grants:
  users: {U0OPS: [ops], U0ELSE: [ops]}
guardrails:
  launch: {instance_types: ["t3.*"], regions: [us-east-1]}
"""


@pytest.fixture(autouse=True)
def no_default_amis(monkeypatch):
    """moto without its hundreds of default AMIs per region (set before `aws_url` resets moto)."""
    monkeypatch.setenv("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def policy_services(settings, tmp_path):
    path = tmp_path / "policy.yml"
    path.write_text(POLICY)
    svc = Services(settings, policy=load_policy(str(path)), notifier=SlackNotifier(settings))
    yield svc
    svc.close()


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def pool():
    return WorkPool(2)


@pytest.fixture
def home_app(settings, policy_services, clock, pool):
    return build_app(settings, policy_services, pool=pool, clock=clock)


def open_home(app, user, tab="home"):
    event = {"type": "app_home_opened", "user": user, "channel": "D0HOME", "tab": tab, "event_ts": str(time.time())}
    return send(app, event_body(event), json_body=True)


def job(services, job_id, user, status, target):
    record = JobRecord(id=job_id, kind="ami.copy", args={}, target=target, user_id=user, status=status)
    record.created_at = time.time() - 60
    services.jobs.create(record)


def published(call):
    """The published view, parsed by slack_sdk's model (it validates), and all its text."""
    view = View(**call.body["view"])
    view.validate_json()
    return view, json.dumps(call.body["view"], ensure_ascii=False)


def buttons(view_json):
    blocks = json.loads(view_json)["blocks"]
    return {
        e["text"]["text"]: e.get("value") or e["action_id"]
        for b in blocks
        if b["type"] == "actions"
        for e in b["elements"]
    }


def test_opening_the_home_publishes_the_users_jobs_and_permissions(home_app, policy_services, slack_api, pool):
    job(policy_services, "7f3a", "U0OPS", RUNNING, "ami-0abc to eu-west-1")
    job(policy_services, "9b2c", "U0OPS", SUCCEEDED, "ami-0def to us-west-2")
    job(policy_services, "0e1d", "U0ELSE", SUCCEEDED, "someone else's copy")
    assert open_home(home_app, "U0OPS").status == 200
    [call] = slack_api.wait_for("views.publish")
    assert call.body["user_id"] == "U0OPS"
    view, text = published(call)
    assert view.type == "home" and view.private_metadata == "D0HOME"
    assert "*Your permissions:* `read` · `launch` · `copy`" in text
    assert "`7f3a`" in text and "running" in text and "`9b2c`" in text and "succeeded" in text
    assert "0e1d" not in text  # only the user's own jobs
    assert "Instances you launched through imagebot" in text and "No live instances" in text
    assert buttons(text)["Launch…"] == "imagebot.open.launch"  # the launch form (bot.slack.modals)
    assert buttons(text)["My jobs"] == "/image jobs"
    assert pool.drain(10)


def test_the_home_lists_the_users_running_instances_with_their_expiry(home_app, settings, policy_services, slack_api):
    ops = Context(settings, policy_services, user_id="U0OPS", channel_id="C0OPS", transport="slack", registry=REGISTRY)
    ami_id = create_ami(policy_services, "us-east-1", "web-base-1")
    mine = launched_by(ops, ami_id, name="smoke", job_id="j1", ttl=8 * 3600)
    theirs = launched_by(as_user(ops, "U0ELSE"), ami_id, name="theirs", job_id="j2", ttl=3600)
    open_home(home_app, "U0OPS")
    _, text = published(slack_api.wait_for("views.publish")[0])
    assert mine in text and "*smoke*" in text and theirs not in text
    assert "expires in 7 hours" in text or "expires in 8 hours" in text


def test_a_user_with_no_grants_sees_only_what_they_may_do(home_app, slack_api):
    open_home(home_app, "U0NOBODY")
    _, text = published(slack_api.wait_for("views.publish")[0])
    assert "*Your permissions:* `read` (ask, compare" in text and "Ask #platform-help to launch" in text
    assert "Your recent jobs: none" in text
    assert set(buttons(text)) == {"Help", "My jobs", "Compare"}
    assert "Instances" not in text and "`launch`" not in text


def test_opens_within_the_window_publish_once_and_after_it_again(home_app, slack_api, clock, pool):
    open_home(home_app, "U0OPS")
    slack_api.wait_for("views.publish")
    clock.now += 2
    open_home(home_app, "U0OPS")
    assert pool.drain(20)
    assert len(slack_api.calls_to("views.publish")) == 1
    open_home(home_app, "U0NOBODY")  # the window is per user
    slack_api.wait_for("views.publish", count=2)
    clock.now += 4  # 6 s after the first publish
    open_home(home_app, "U0OPS")
    calls = slack_api.wait_for("views.publish", count=3)
    assert [c.body["user_id"] for c in calls] == ["U0OPS", "U0NOBODY", "U0OPS"]


def test_the_window_holds_across_processes(settings, policy_services, slack_api, clock):
    pools = [WorkPool(1), WorkPool(1)]
    first, second = (build_app(settings, Services(settings), pool=p, clock=clock) for p in pools)
    open_home(first, "U0OPS")
    slack_api.wait_for("views.publish")
    open_home(second, "U0OPS")
    assert all(p.drain(20) for p in pools)
    assert len(slack_api.calls_to("views.publish")) == 1


def test_the_messages_tab_publishes_nothing(home_app, slack_api, pool):
    open_home(home_app, "U0OPS", tab="messages")
    assert pool.drain(10)
    assert slack_api.calls_to("views.publish") == []


def test_the_home_still_publishes_when_aws_does_not_answer(redis_url, slack_api, tmp_path, clock, pool):
    from tests.conftest import BOT_TOKEN
    from tests.support.signing import SIGNING_SECRET

    dead = f"http://127.0.0.1:{free_port()}"
    settings = load_settings(
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=slack_api.url,
        REDIS_URL=redis_url,
        AWS_ENDPOINT_URL=dead,
        IMAGEBOT_DEFAULT_REGION="us-east-1",
    )
    path = tmp_path / "policy.yml"
    path.write_text(POLICY)
    services = Services(settings, policy=load_policy(str(path)))
    job(services, "7f3a", "U0OPS", RUNNING, "ami-0abc to eu-west-1")
    try:
        open_home(build_app(settings, services, pool=pool, clock=clock), "U0OPS")
        _, text = published(slack_api.wait_for("views.publish", timeout=30)[0])
    finally:
        services.close()
    assert "`7f3a`" in text  # the jobs are there
    assert "Your instances" in text and f"The AWS endpoint `{dead}` does not answer" in text


def home_click(value, user="U0OPS", dm="D0HOME", action_id="imagebot.run"):
    payload = {
        "type": "block_actions",
        "team": {"id": "T0TEST"},
        "user": {"id": user},
        "api_app_id": "A0APP",
        "trigger_id": "1.2.3",
        "container": {"type": "view", "view_id": "V0HOME"},
        "view": {"id": "V0HOME", "type": "home", "private_metadata": dm, "blocks": []},
        "actions": [{"type": "button", "action_id": action_id, "value": value, "action_ts": str(time.time())}],
    }
    return urlencode({"payload": json.dumps(payload)})


def test_a_home_button_answers_in_the_users_dm(home_app, policy_services, slack_api):
    job(policy_services, "7f3a", "U0OPS", RUNNING, "ami-0abc to eu-west-1")
    assert send(home_app, home_click("/image jobs")).status == 200
    [call] = slack_api.wait_for("chat.postMessage")
    assert call.body["channel"] == "D0HOME"
    assert "Your recent jobs" in call.body["text"] and "7f3a" in call.body["text"]
    assert slack_api.calls_to("response_url") == []


def test_the_homes_launch_button_opens_the_launch_form(home_app, slack_api):
    assert send(home_app, home_click("", action_id="imagebot.open.launch")).status == 200
    [call] = slack_api.wait_for("views.open")
    view = json.loads(call.body["view"]) if isinstance(call.body["view"], str) else call.body["view"]
    assert call.body["trigger_id"] == "1.2.3" and view["type"] == "modal"
    assert "launch" in json.dumps(view).lower()
