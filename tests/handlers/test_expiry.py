"""The expiry sweep and `/image extend`: launched through the bot, swept under a fake clock, DMs through the Slack
stand-in, buttons pressed as signed requests through the real Bolt app (moto over HTTP, real Redis)."""

import threading
from datetime import timedelta

import pytest

from bot.access.audit import AUDIT_STREAM
from bot.dispatch.run import dispatch
from bot.slack.app import build_app
from handlers.expiry import LOCK_KEY, sweep
from handlers.lifecycle import start_job, stop_job
from tests.support.ec2 import create_ami
from tests.support.expiry import buttons, dms, expires_of, expiry_services, launcher, set_expires, sweeper
from tests.support.instances import as_user, launched_by, run_job
from tests.support.signing import action_body, send

pytestmark = pytest.mark.usefixtures("no_default_amis")
HOUR = timedelta(hours=1)


@pytest.fixture
def owner(settings, tmp_path):
    """U0OPS from Slack, who may launch (ttl 8h by default, 20h at most; the sweep stops at expiry)."""
    services = expiry_services(settings, tmp_path)
    yield launcher(services)
    services.close()


def state_of(ctx, instance_id, region="us-east-1"):
    reservations = ctx.services.ec2(region).describe_instances(InstanceIds=[instance_id])["Reservations"]
    return reservations[0]["Instances"][0]["State"]["Name"]


def press(app, slack_api, button, user="U0OPS"):
    """Press a DM button (a signed block_actions request) and return the answer sent to its response_url."""
    before = len(slack_api.calls_to("response_url"))
    send(app, action_body(button["action_id"], button["value"], slack_api.response_url(user), user, "D0DM"))
    return slack_api.wait_for("response_url", count=before + 1)[before].body


def launched(ctx, name="smoke"):
    ami_id = create_ami(ctx.services, "us-east-1", f"web-base-{name}")
    return launched_by(ctx, ami_id, name=name, job_id=f"job-{name}", ttl=8 * 3600)


def test_the_owner_is_warned_once_extends_within_the_maximum_and_the_instance_is_stopped_at_expiry(owner, slack_api):
    app = build_app(owner.settings, owner.services)
    instance = launched(owner)
    expires = expires_of(owner, instance)
    sweeping = sweeper(owner)

    early = sweep(sweeping, now=expires - 2 * HOUR)
    assert early.ran and early.seen == 1 and not early.warned and dms(slack_api) == []

    assert sweep(sweeping, now=expires - HOUR / 2).warned == [instance]
    assert sweep(sweeping, now=expires - HOUR / 4).warned == []  # once per expiry
    (warning,) = dms(slack_api)
    assert instance in warning["text"] and "expires in 30 minutes" in warning["text"] and "*stopped*" in warning["text"]
    shown = buttons(warning)
    assert [b["text"]["text"] for b in shown.values()] == ["Extend by 8h", "Terminate now"]
    assert shown["imagebot.run.extend"]["value"] == f"/image extend {instance} --by 8h --region us-east-1"

    answer = press(app, slack_api, shown["imagebot.run.extend"])
    assert answer["response_type"] == "ephemeral" and "now expires in" in answer["text"], answer["text"]
    assert expires_of(owner, instance) == expires + 8 * HOUR  # 16 h after launch
    refused = press(app, slack_api, shown["imagebot.run.extend"])  # 24 h after launch: past the 20 h maximum
    assert "goes past the longest you may keep it (20h after launch" in refused["text"]
    assert "At most `--by" in refused["text"]
    extended = expires_of(owner, instance)
    assert extended == expires + 8 * HOUR

    assert sweep(sweeping, now=expires + HOUR).acted == []  # the old expiry is gone
    assert sweep(sweeping, now=extended - HOUR / 2).warned == [instance]  # the new one gets its own warning
    done = sweep(sweeping, now=extended + timedelta(seconds=1))
    assert done.acted == [f"{instance} stop"] and state_of(owner, instance) in ("stopping", "stopped")
    assert sweep(sweeping, now=extended + HOUR).acted == []
    told = dms(slack_api)[-1]["text"]
    assert len(dms(slack_api)) == 3 and "expired at" in told and "being *stopped*" in told and "start" in told
    audit = [{k.decode(): v.decode() for k, v in f.items()} for _, f in owner.services.redis.xrange(AUDIT_STREAM)]
    acted = [e for e in audit if e["decision"] == "expired"]
    assert [(e["command"], e["user"]) for e in acted] == [("instance.stop", "imagebot")] and "U0OPS" in acted[0]["text"]


def test_terminate_now_goes_through_the_terminate_confirmation(owner, slack_api):
    app = build_app(owner.settings, owner.services)
    instance = launched(owner)
    sweep(sweeper(owner), now=expires_of(owner, instance) - HOUR / 2)
    answer = press(app, slack_api, buttons(dms(slack_api)[0])["imagebot.run.terminate"])
    assert f"Terminate {instance}?" in answer["text"], answer["text"]
    confirm = buttons(answer)["imagebot.confirm"]
    assert confirm["style"] == "danger" and state_of(owner, instance) == "running"  # nothing yet: it asks first


def test_at_expiry_the_policy_may_terminate(settings, tmp_path, slack_api):
    services = expiry_services(settings, tmp_path, "terminate")
    ops = launcher(services)
    instance = launched(ops)
    stopped = run_job(ops, stop_job, "instance.stop", {"instance": instance, "region": "us-east-1", "poll": 0}, "s")
    assert dict(stopped.fields)["State"] == "stopped"  # a stopped instance is still terminated at expiry
    report = sweep(sweeper(ops), now=expires_of(ops, instance) + timedelta(seconds=1))
    assert report.acted == [f"{instance} terminate"] and state_of(ops, instance) in ("shutting-down", "terminated")
    assert "being *terminated*" in dms(slack_api)[-1]["text"]
    services.close()


def test_two_sweeps_at_once_act_once(owner, slack_api):
    first, second = launched(owner, "a"), launched(owner, "b")
    due = max(expires_of(owner, first), expires_of(owner, second)) + timedelta(seconds=1)
    reports, gate = [], threading.Barrier(4)

    def run():
        gate.wait()
        reports.append(sweep(sweeper(owner), now=due))

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    acted = sorted(a for r in reports for a in r.acted)
    assert acted == sorted([f"{first} stop", f"{second} stop"])
    assert len(dms(slack_api)) == 2  # one DM per instance
    assert sweep(sweeper(owner), now=due).acted == []  # done once: a later sweep finds nothing to do


def test_a_held_lock_makes_a_sweep_do_nothing(owner, slack_api):
    instance = launched(owner)
    owner.services.redis.set(LOCK_KEY, "elsewhere:1:x", ex=60)
    report = sweep(sweeper(owner), now=expires_of(owner, instance) + HOUR)
    assert not report.ran and report.summary == "another sweep was running" and state_of(owner, instance) == "running"
    assert owner.services.redis.get(LOCK_KEY) == b"elsewhere:1:x"  # not released by the sweep that did not hold it


def test_extend_is_for_the_owner_or_a_manager_and_says_what_to_type(owner):
    instance = launched(owner)
    refused = dispatch(as_user(owner, "U0OTHER"), f"/image extend {instance}")
    assert not refused.ok and "launched by <@U0OPS>" in refused.text and "`manage` permission" in refused.text
    managed = dispatch(as_user(owner, "U0MGR"), f"/image extend {instance} --by 2h")
    assert managed.ok and "now expires in" in managed.text, managed.text
    assert "`--by` must be longer than 0" in dispatch(owner, f"/image extend {instance} --by 0").text
    assert "like `/image extend <instance-id> --by 8h`" in dispatch(owner, f"/image extend {instance} --by soon").plain
    assert "is not an instance id" in dispatch(owner, "/image extend i-1").text
    forever = launched_by(owner, create_ami(owner.services, "us-east-1", "web-base-2"), ttl=0, job_id="j2")
    assert "has no expiry" in dispatch(owner, f"/image extend {forever}").text


def test_starting_a_stopped_instance_gives_it_a_fresh_expiry(owner):
    instance = launched(owner)
    run_job(owner, stop_job, "instance.stop", {"instance": instance, "region": "us-east-1", "poll": 0}, "s1")
    set_expires(owner, instance, "2020-01-01T00:00:00Z")  # it expired long ago, and was stopped
    before = expires_of(owner, instance)
    run_job(owner, start_job, "instance.start", {"instance": instance, "region": "us-east-1", "poll": 0}, "s2")
    renewed = expires_of(owner, instance)
    assert renewed > before + timedelta(days=365) and state_of(owner, instance) == "running"
    assert sweep(sweeper(owner), now=renewed - 2 * HOUR).acted == []  # not stopped again by the next sweep
