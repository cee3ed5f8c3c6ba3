"""`/image ami copy`: the proposal, guardrails, input checks and the copy job (moto over HTTP, real Redis)."""

from unittest import mock

import pytest

from bot.aws import images
from bot.core.terminal import render_text
from bot.dispatch.confirm import accept_now
from bot.dispatch.run import dispatch
from tests.handlers.conftest import wait_done
from tests.support.ec2 import copy_ami, create_ami, set_fields

pytestmark = pytest.mark.usefixtures("no_default_amis")


def test_copy_proposal_then_job_makes_a_tagged_available_copy(ops, worker_env, slack_api):
    ami_id = create_ami(ops.services, "us-east-1", "web-base-1", {"team": "web"})
    reply = dispatch(ops, f"/image ami copy {ami_id} eu-west-1 --name web-base-1-eu")
    assert reply.ok and reply.proposal is not None, render_text(reply)
    assert reply.proposal.target == f"copying {ami_id} (web-base-1) from us-east-1 to eu-west-1 as web-base-1-eu"
    summary = dict(reply.proposal.summary)
    assert summary["Source AMI"] == f"`{ami_id}` (web-base-1)" and summary["New name"] == "web-base-1-eu"
    assert "already has" not in reply.proposal.warning
    assert "snapshot storage costs money" in reply.proposal.warning
    reply.proposal.args["poll"] = 0.2
    started = accept_now(ops, reply)
    assert started.ok and started.job_id, started.text
    record = wait_done(ops, started.job_id)
    assert record.status == "succeeded", record.error
    new_id = dict(tuple(f) for f in record.result_fields)["New AMI"]
    image = images.describe_image(ops.services.aws, "eu-west-1", new_id)
    assert image is not None and image.state == "available" and image.name == "web-base-1-eu"
    assert image.tags[images.SOURCE_IMAGE_TAG] == ami_id and image.tags[images.SOURCE_REGION_TAG] == "us-east-1"
    assert slack_api.calls_to("chat.postMessage")[0].body["channel"] == "C0OPS"  # the job's progress message


def test_copy_to_a_disallowed_region_is_refused_naming_the_limit(ops):
    ami_id = create_ami(ops.services, "us-east-1", "web-base-1")
    reply = dispatch(ops, f"/image ami copy {ami_id} ap-south-1")
    assert not reply.ok and reply.proposal is None
    assert "Copying to `ap-south-1` is not allowed" in reply.text and "`eu-west-1`" in reply.text


def test_copy_validates_input_before_any_aws_call(ops):
    with mock.patch("handlers.shared.ami.describe_image") as describe:
        bad_id = dispatch(ops, "/image ami copy ami-nothex eu-west-1")
        bad_region = dispatch(ops, "/image ami copy ami-0abcdef1234567890 eu-wset-1")
    assert "is not an AMI id" in bad_id.text and "Did you mean `eu-west-1`" in bad_region.text
    describe.assert_not_called()


def test_copy_of_a_missing_ami_says_where_to_look(ops):
    reply = dispatch(ops, "/image ami copy ami-0abcdef1234567890 eu-west-1")
    assert not reply.ok and "was not found in `us-east-1`" in reply.text
    assert "not in any other enabled region" in reply.text
    ami_id = create_ami(ops.services, "us-west-2", "web-base-1")
    reply = dispatch(ops, f"/image ami copy {ami_id} eu-west-1")
    assert not reply.ok and f"`{ami_id}` was not found in `us-east-1`" in reply.text
    assert "It is in `us-west-2`: add `--source-region us-west-2`" in reply.text


@pytest.mark.parametrize("linked", [True, False])
def test_copy_warns_when_the_destination_already_has_a_copy(ops, linked):
    """Linked by EC2's SourceImageId or only by the bot's tags: `ami copies` finds both, and so does the warning."""
    ami_id = create_ami(ops.services, "us-east-1", "web-base-1")
    there = copy_ami(ops.services, ami_id, "us-east-1", "eu-west-1", "web-base-1", linked=linked)
    if not linked:
        ops.services.ec2("eu-west-1").create_tags(
            Resources=[there],
            Tags=[
                {"Key": images.SOURCE_IMAGE_TAG, "Value": ami_id},
                {"Key": images.SOURCE_REGION_TAG, "Value": "us-east-1"},
            ],
        )
    reply = dispatch(ops, f"/image ami copy {ami_id} eu-west-1 --name web-base-1-again")
    assert reply.ok and reply.proposal is not None, reply.plain
    assert f"eu-west-1 already has a copy of {ami_id}: {there} (available)" in reply.plain
    assert dict(reply.proposal.summary)["Already there"].startswith(there)


@pytest.mark.parametrize(
    "name, problem",
    [
        ("ab", "is 2 characters long"),
        ("x" * 129, "is 129 characters long"),
        ("web:base", "contains `:`"),
        ("web base, v2!", "contains `!` `,`"),
    ],
)
def test_a_new_name_is_checked_against_ec2s_rules_before_anything_runs(ops, name, problem):
    with mock.patch("handlers.shared.ami.describe_image") as describe:
        reply = dispatch(ops, f'/image ami copy ami-0abcdef1234567890 eu-west-1 --name "{name}"')
    assert not reply.ok and problem in reply.plain, reply.plain
    assert "3 to 128 characters: letters, numbers, spaces and ( ) [ ] . / - ' @ _" in reply.plain
    describe.assert_not_called()


def test_a_name_with_every_allowed_character_is_accepted(ops):
    ami_id = create_ami(ops.services, "us-east-1", "web-base-1")
    name = "Web base (v2) [eu]./-'@_ 2026"
    reply = dispatch(ops, f'/image ami copy {ami_id} eu-west-1 --name "{name}"')
    assert reply.ok and dict(reply.proposal.summary)["New name"] == name, reply.plain


def test_a_pending_copy_is_warned_about_and_a_failed_one_is_not(ops):
    ami_id = create_ami(ops.services, "us-east-1", "web-base-1")
    pending = copy_ami(ops.services, ami_id, "us-east-1", "eu-west-1", "web-base-1")
    failed = copy_ami(ops.services, ami_id, "us-east-1", "eu-west-1", "web-base-1")
    set_fields("eu-west-1", pending, state="pending")
    set_fields("eu-west-1", failed, state="failed")
    reply = dispatch(ops, f"/image ami copy {ami_id} eu-west-1")
    assert reply.ok, reply.plain
    assert f"{pending} (pending)" in reply.plain and failed not in reply.plain
