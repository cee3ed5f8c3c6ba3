"""`/image instances`: what was launched through the bot, yours or everyone's (moto over HTTP, real Redis)."""

from datetime import datetime, timedelta

import pytest

from bot.aws.lifecycle import EXPIRES_TAG
from bot.core.terminal import render_text
from bot.dispatch.confirm import accept_now
from bot.dispatch.run import dispatch
from tests.handlers.conftest import all_instances, tags_of, wait_done
from tests.support.ec2 import create_ami
from tests.support.instances import as_user, launched_by, policy_text  # noqa: F401 (the fixture)

pytestmark = pytest.mark.usefixtures("no_default_amis")


def test_instances_lists_only_yours_by_default(ops):
    ami_id = create_ami(ops.services, "us-east-1", "web-base-1")
    mine = launched_by(ops, ami_id, name="mine <b>", job_id="j1")
    theirs = launched_by(as_user(ops, "U0OTHER"), ami_id, name="theirs", job_id="j2")
    ops.services.ec2("us-east-1").run_instances(ImageId=ami_id, MinCount=1, MaxCount=1)  # not the bot's
    reply = dispatch(ops, "/image instances")
    text = render_text(reply)
    assert reply.ok, text
    assert [i["id"] for i in reply.data["instances"]] == [mine]
    assert mine in text and theirs not in text
    assert "running" in text and "t3.micro" in text and ami_id in text and "us-east-1" in text
    assert "mine <b>" in text and "launched just now" in text and "no expiry" in text
    assert "<@U0OPS>" in reply.to_blocks().__repr__() and "&lt;b&gt;" in reply.text  # a mention; the name escaped
    assert "terminate &lt;instance-id&gt;" in reply.to_blocks().__repr__()  # the footer's placeholder is not a link


def test_all_needs_manage_and_shows_everyone_in_every_region(ops):
    east = create_ami(ops.services, "us-east-1", "web-base-1")
    west = create_ami(ops.services, "eu-west-1", "web-base-1")
    first = launched_by(ops, east, job_id="j1")
    second = launched_by(as_user(ops, "U0OTHER"), west, region="eu-west-1", job_id="j2")
    refused = dispatch(ops, "/image instances --all")
    assert not refused.ok and "`manage` permission" in refused.text
    reply = dispatch(as_user(ops, "U0MGR"), "/image instances --all --region all")
    assert reply.ok, reply.text
    assert {(i["id"], i["owner"], i["region"]) for i in reply.data["instances"]} == {
        (first, "U0OPS", "us-east-1"),
        (second, "U0OTHER", "eu-west-1"),
    }
    assert "regions." in render_text(reply)


def test_no_instances_and_conflicting_flags(ops):
    reply = dispatch(ops, "/image instances --region eu-west-1")
    assert reply.ok and "No live instances you launched through imagebot in `eu-west-1`" in render_text(reply)
    both = dispatch(ops, "/image instances --mine --all")
    assert not both.ok and "Choose one" in both.text
    bad = dispatch(ops, "/image instances --region moon-1")
    assert not bad.ok and "not an AWS region" in bad.text


def test_launch_through_the_bot_then_instances_lists_it_with_its_expiry(ops, worker_env):
    ami_id = create_ami(ops.services, "us-east-1", "web-base-1")
    proposal = dispatch(ops, f"/image launch {ami_id} --name smoke --ttl 8h")
    assert proposal.ok, proposal.text
    assert "8h after launch" in render_text(proposal) and "launch time + 8h" in render_text(proposal)
    proposal.proposal.args["poll"] = 0.2
    record = wait_done(ops, accept_now(ops, proposal).job_id)
    assert record.status == "succeeded", record.error
    instance_id = dict(tuple(f) for f in record.result_fields)["Instance"]
    reply = dispatch(ops, "/image instances")
    [listed] = reply.data["instances"]
    assert listed["id"] == instance_id and listed["state"] == "running"
    [instance] = all_instances(ops.services)
    expires = datetime.fromisoformat(tags_of(instance)[EXPIRES_TAG].replace("Z", "+00:00"))
    assert listed["expires"] == expires.isoformat()
    # the tag is written from the job's own clock, the launch time by EC2's: the same moment, 8 hours apart
    assert abs((expires - instance["LaunchTime"]) - timedelta(hours=8)) < timedelta(minutes=5)
    assert "expires in 7 hours" in render_text(reply) or "expires in 8 hours" in render_text(reply)


@pytest.mark.parametrize(
    ("ttl", "expected"),
    [("0", "no expiry (`--ttl 0`) is not allowed"), ("30d", "at most `--ttl 7d`"), ("soon", "is not a duration")],
)
def test_launch_ttl_is_checked_against_the_policy(ops, ttl, expected):
    ami_id = create_ami(ops.services, "us-east-1", "web-base-1")
    reply = dispatch(ops, f"/image launch {ami_id} --ttl {ttl}")
    assert not reply.ok and expected in render_text(reply) and reply.proposal is None
