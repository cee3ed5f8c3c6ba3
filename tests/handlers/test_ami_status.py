"""`/image ami status` against moto's server, Stubber for fields moto lacks, and through the Bolt app."""

import json
from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from bot.aws.errors import explain
from bot.aws.images import SOURCE_IMAGE_TAG
from bot.core.terminal import render_text
from bot.dispatch.run import dispatch
from tests.support.ec2 import copy_ami, create_ami, set_fields
from tests.support.signing import send, slash_command_body

pytestmark = pytest.mark.usefixtures("no_default_amis")


def run(ctx, text):
    reply = dispatch(ctx, text)
    return reply, render_text(reply)


# ------------------------------------------------------------------ status


def test_status_by_id_shows_everything_at_a_glance(ctx, services):
    ami_id = create_ami(services, "us-east-1", "web-base-2026.11.20", {"team": "web"})
    set_fields("us-east-1", ami_id, creation_date=datetime.now(UTC) - timedelta(days=3, hours=1))
    reply, text = run(ctx, f"ami status {ami_id}")
    assert reply.ok, text
    for expected in (
        "AMI web-base-2026.11.20",
        f"`{ami_id}`",
        "`us-east-1`",
        "available",
        "123456789012",
        "(3 days ago)",
        "x86_64",
        "Linux/UNIX",
        "uefi",
        "`/dev/sda1` (standard)",
        "private",
        "Deprecation    not set",
        "Last launched  not reported by AWS",
        "15 GiB",
        "`team`=`web`",
        f"/image ami copies {ami_id}",
    ):
        assert expected in text, expected
    assert "snap-" in text


def test_status_says_in_one_line_what_uses_the_ami_and_answers_when_that_look_up_fails(ctx, services):
    ami_id = create_ami(services, "us-east-1", "web-base-2026.11.20")
    services.ec2("us-east-1").run_instances(ImageId=ami_id, MinCount=1, MaxCount=1)
    reply, text = run(ctx, f"ami status {ami_id}")
    assert (
        reply.ok
        and "In `us-east-1`: 1 instance (1 running) · 0 launch template versions · 0 Auto Scaling groups." in text
    )
    throttled = ClientError({"Error": {"Code": "RequestLimitExceeded", "Message": "slow down"}}, "DescribeInstances")
    with mock.patch("bot.aws.usage.using_image", side_effect=explain(throttled, "us-east-1")):  # force the fault
        reply, text = run(ctx, f"ami status {ami_id}")
    assert reply.ok and "Usage in `us-east-1` could not be looked up (AWS is throttling" in text, text
    assert "available" in text  # the status itself still answers


def test_status_by_name_resolves_to_the_newest_owned_image(ctx, services):
    ami_id = create_ami(services, "us-east-1", "api-golden-2026.11.02")
    reply, text = run(ctx, "ami status api-golden-2026.11.02")
    assert reply.ok and f"`{ami_id}`" in text and "match" not in text


def test_status_by_pattern_shows_the_newest_and_lists_every_match(ctx, services):
    old = create_ami(services, "us-east-1", "web-base-2026.10.01")
    new = create_ami(services, "us-east-1", "web-base-2026.11.20")
    create_ami(services, "us-east-1", "api-golden-2026.11.02")
    set_fields("us-east-1", old, creation_date=datetime.now(UTC) - timedelta(days=50))
    reply, text = run(ctx, "ami status web-base-*")
    assert reply.ok
    assert text.index(f"AMI id         `{new}`") < text.index("2 AMIs match")
    assert f"`{old}`" in text and "api-golden" not in text
    assert [i["id"] for i in reply.data["images"]] == [new, old]


def test_status_of_a_pending_image(ctx, services):
    ami_id = create_ami(services, "us-east-1", "batch-worker")
    set_fields("us-east-1", ami_id, state="pending")
    _, text = run(ctx, f"ami status {ami_id}")
    assert "pending: still being created" in text


def test_status_of_a_failed_image_gives_its_reason(ctx, services):
    ami_id = create_ami(services, "us-east-1", "broken")
    set_fields("us-east-1", ami_id, state="failed", state_reason={"Code": "Client.Error", "Message": "snap failed"})
    _, text = run(ctx, f"ami status {ami_id}")
    assert "failed: snap failed" in text


def test_status_of_a_deprecated_image(ctx, services):
    ami_id = create_ami(services, "us-east-1", "legacy-app")
    set_fields("us-east-1", ami_id, deprecation_time="2025-03-01T00:00:00.000Z")
    _, text = run(ctx, f"ami status {ami_id}")
    assert "deprecated since 2025-03-01 00:00 UTC" in text


def test_status_of_an_image_to_be_deprecated(ctx, services):
    ami_id = create_ami(services, "us-east-1", "soon")
    when = (datetime.now(UTC) + timedelta(days=40)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    set_fields("us-east-1", ami_id, deprecation_time=when)
    _, text = run(ctx, f"ami status {ami_id}")
    assert "will be deprecated" in text and "(in 1 month)" in text


def test_status_of_an_unknown_id_suggests_all_regions(ctx):
    reply, text = run(ctx, "ami status ami-0123456789abcdef0")
    assert not reply.ok
    assert "`ami-0123456789abcdef0` was not found in `us-east-1`" in text and "--region all" in text


def test_status_of_a_deregistered_image_is_not_found(ctx, services):
    ami_id = create_ami(services, "us-east-1", "gone")
    services.ec2("us-east-1").deregister_image(ImageId=ami_id)
    reply, text = run(ctx, f"ami status {ami_id}")
    assert not reply.ok and "deregistered" in text


def test_status_of_an_unknown_name(ctx):
    reply, text = run(ctx, "ami status no-such-image")
    assert not reply.ok and "No AMI you own named `no-such-image`" in text


def test_a_malformed_id_is_refused_before_any_aws_call(ctx, services):
    with mock.patch.object(services, "ec2", side_effect=AssertionError("AWS was called")):
        reply, text = run(ctx, "ami status ami-12345")
    assert not reply.ok and "`ami-` and 8 or 17 hex digits" in text


def test_a_bad_region_is_refused_before_any_aws_call(ctx, services):
    with mock.patch.object(services, "ec2", side_effect=AssertionError("AWS was called")):
        reply, text = run(ctx, "ami status ami-0123abcd --region eu-wset-1")
    assert not reply.ok and "Did you mean `eu-west-1`" in text


def test_status_region_all_looks_in_every_enabled_region(ctx, services):
    ami_id = create_ami(services, "eu-west-1", "eu-only")
    reply, text = run(ctx, f"ami status {ami_id} --region all")
    assert reply.ok and "`eu-west-1`" in text
    source = create_ami(services, "us-east-1", "everywhere")
    copy_ami(services, source, "us-east-1", "sa-east-1", "everywhere")
    reply, text = run(ctx, "ami status everywhere --region all")
    assert reply.ok and "2 AMIs match" in text
    assert {i["region"] for i in reply.data["images"]} == {"us-east-1", "sa-east-1"}


def test_status_in_a_region_that_is_not_enabled(ctx, services):
    fault = ClientError({"Error": {"Code": "OptInRequired", "Message": "not subscribed"}}, "DescribeImages")
    with mock.patch.object(services.ec2("ap-east-1"), "_make_api_call", side_effect=fault):
        reply, text = run(ctx, "ami status ami-0123abcd --region ap-east-1")
    assert not reply.ok and "`ap-east-1` is not enabled" in text


# -------------------------------------------- Stubber: fields moto doesn't return

REAL_IMAGE = {
    "ImageId": "ami-0abcdef1234567890",
    "Name": "web-base-2026.11.20",
    "ImageLocation": "123456789012/web-base-2026.11.20",
    "State": "available",
    "OwnerId": "123456789012",
    "ImageOwnerAlias": "self",
    "CreationDate": "2026-11-20T09:00:00.000Z",
    "Architecture": "arm64",
    "PlatformDetails": "Linux/UNIX",
    "UsageOperation": "RunInstances",
    "BootMode": "uefi",
    "RootDeviceName": "/dev/xvda",
    "RootDeviceType": "ebs",
    "BlockDeviceMappings": [
        {
            "DeviceName": "/dev/xvda",
            "Ebs": {
                "SnapshotId": "snap-0123456789abcdef0",
                "VolumeSize": 8,
                "VolumeType": "gp3",
                "Encrypted": True,
                "DeleteOnTermination": True,
            },
        },
        {"DeviceName": "/dev/sdb", "VirtualName": "ephemeral0"},
    ],
    "Public": True,
    "DeprecationTime": "2026-01-01T00:00:00.000Z",
    "SourceImageId": "ami-0fedcba9876543210",
    "SourceImageRegion": "eu-west-1",
    "Tags": [{"Key": "team", "Value": "web"}, {"Key": SOURCE_IMAGE_TAG, "Value": "ami-0fedcba9876543210"}],
    "ImageType": "machine",
    "VirtualizationType": "hvm",
    "Hypervisor": "xen",
}


def test_status_renders_fields_real_ec2_returns(ctx, services):
    client = services.ec2("us-east-1")
    with Stubber(client) as stub:
        stub.add_response("describe_images", {"Images": [REAL_IMAGE]}, {"ImageIds": [REAL_IMAGE["ImageId"]]})
        stub.add_response(
            "describe_image_attribute",
            {"ImageId": REAL_IMAGE["ImageId"], "LastLaunchedTime": {"Value": "2026-11-22T08:30:00Z"}},
            {"ImageId": REAL_IMAGE["ImageId"], "Attribute": "lastLaunchedTime"},
        )
        reply, text = run(ctx, f"ami status {REAL_IMAGE['ImageId']}")
        stub.assert_no_pending_responses()
    assert reply.ok, text
    for expected in (
        "arm64",
        "123456789012 (self)",
        "public",
        "`/dev/xvda` (ebs)",
        "`/dev/xvda` `snap-0123456789abcdef0` · 8 GiB · gp3 · encrypted",
        "`/dev/sdb` ephemeral0",
        "deprecated since 2026-01-01 00:00 UTC",
        "Last launched  2026-11-22 08:30 UTC",
        "`ami-0fedcba9876543210` in `eu-west-1`",
    ):
        assert expected in text, expected


def test_status_uses_last_launched_from_describe_images_when_present(ctx, services):
    image = {**REAL_IMAGE, "LastLaunchedTime": "2026-11-21T07:00:00Z", "State": "failed"}
    image["StateReason"] = {"Code": "Client.InvalidSnapshot.NotFound", "Message": "snapshot was deleted"}
    with Stubber(services.ec2("us-east-1")) as stub:
        stub.add_response("describe_images", {"Images": [image]}, {"ImageIds": [image["ImageId"]]})
        _, text = run(ctx, f"ami status {image['ImageId']}")
        stub.assert_no_pending_responses()  # no describe_image_attribute call
    assert "Last launched  2026-11-21 07:00 UTC" in text and "failed: snapshot was deleted" in text


def test_status_when_aws_denies_the_lookup(ctx, services):
    with Stubber(services.ec2("us-east-1")) as stub:
        stub.add_client_error(
            "describe_images",
            service_error_code="UnauthorizedOperation",
            service_message="You are not authorized to perform this operation.",
            http_status_code=403,
        )
        reply, text = run(ctx, "ami status ami-0abcdef1234567890")
    assert not reply.ok and "`ec2:DescribeImages`" in text


# ------------------------------------------------------------------- Slack


def test_signed_ami_status_acks_at_once_and_answers_at_the_response_url(app, services, slack_api):
    ami_id = create_ami(services, "us-east-1", "web-base-2026.11.20")
    resp = send(app, slash_command_body(f"ami status {ami_id}", slack_api.response_url("ami")))
    assert resp.status == 200
    assert "Working on `/image ami status`" in json.loads(resp.body)["text"]
    call = slack_api.wait_for("response_url")[0]
    assert call.path == "/response/ami" and call.body["response_type"] == "ephemeral"
    assert ami_id in call.body["text"] and call.body["blocks"][0]["type"] == "header"
