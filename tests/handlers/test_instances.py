"""`/image instances`: what was launched through the bot, yours or everyone's (moto over HTTP, real Redis)."""

import pytest

from bot.core.terminal import render_text
from bot.dispatch.run import dispatch
from tests.support.ec2 import create_ami
from tests.support.instances import as_user, launched_by, policy_file  # noqa: F401 (the fixture)

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
    assert not bad.ok and "not an AWS region name" in bad.text
