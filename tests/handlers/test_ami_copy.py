"""`/image ami copy`: the proposal, guardrails, input checks and the copy job (moto over HTTP, real Redis)."""

from unittest import mock

import pytest

from bot.aws import images
from bot.core.terminal import render_text
from bot.dispatch.confirm import accept_now
from bot.dispatch.run import dispatch
from tests.handlers.conftest import wait_done
from tests.support.ec2 import create_ami

pytestmark = pytest.mark.usefixtures("no_default_amis")

def test_copy_proposal_then_job_makes_a_tagged_available_copy(ops, worker_env, slack_api):
    ami_id = create_ami(ops.services, "us-east-1", "web-base-1", {"team": "web"})
    reply = dispatch(ops, f"/image ami copy {ami_id} eu-west-1 --name web-base-1-eu")
    assert reply.ok and reply.proposal is not None, render_text(reply)
    assert reply.proposal.target == f"copying {ami_id} (web-base-1-eu) from us-east-1 to eu-west-1"
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
    assert not reply.ok and "was not found in `us-east-1`" in reply.text and "--source-region" in reply.text
