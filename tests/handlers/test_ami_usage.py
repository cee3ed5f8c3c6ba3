"""`/image ami usage`: instances, launch template versions and Auto Scaling groups that use an AMI (moto over HTTP)."""

from datetime import UTC, datetime, timedelta

import pytest

from bot.core.terminal import render_text
from bot.dispatch.run import dispatch
from tests.support.ec2 import copy_ami, create_ami, set_fields

pytestmark = pytest.mark.usefixtures("no_default_amis")


def template(services, region, name, *images):
    """A launch template whose versions 1, 2, … launch `images`; the default stays version 1."""
    ec2 = services.ec2(region)
    created = ec2.create_launch_template(LaunchTemplateName=name, LaunchTemplateData={"ImageId": images[0]})
    template_id = created["LaunchTemplate"]["LaunchTemplateId"]
    for image in images[1:]:
        ec2.create_launch_template_version(LaunchTemplateId=template_id, LaunchTemplateData={"ImageId": image})
    return template_id


def test_usage_finds_an_instance_a_template_version_and_groups_across_regions(ctx, services):
    east = create_ami(services, "us-east-1", "web-base-1")
    west = copy_ami(services, east, "us-east-1", "eu-west-1", "web-base-1")
    oregon = copy_ami(services, east, "us-east-1", "us-west-2", "web-base-1")
    other = create_ami(services, "eu-west-1", "other-base")
    running = services.ec2("us-east-1").run_instances(ImageId=east, MinCount=1, MaxCount=1)["Instances"][0]
    template(services, "eu-west-1", "web <lt>", other, west)  # version 2 (latest, not default) uses it
    lt = template(services, "us-west-2", "web-asg", oregon)
    autoscaling = services.aws.autoscaling("us-west-2")
    autoscaling.create_auto_scaling_group(
        AutoScalingGroupName="web-asg",
        LaunchTemplate={"LaunchTemplateId": lt, "Version": "$Latest"},
        MinSize=0,
        MaxSize=1,
        DesiredCapacity=0,
        AvailabilityZones=["us-west-2a"],
    )
    autoscaling.create_launch_configuration(LaunchConfigurationName="web-lc", ImageId=oregon, InstanceType="t3.micro")
    autoscaling.create_auto_scaling_group(
        AutoScalingGroupName="web-lc-asg",
        LaunchConfigurationName="web-lc",
        MinSize=0,
        MaxSize=1,
        AvailabilityZones=["us-west-2a"],
    )
    set_fields("eu-west-1", west, deprecation_time="2025-03-01T00:00:00.000Z")

    reply = dispatch(ctx, "/image ami usage web-base-1 --region all")
    text = render_text(reply)
    assert reply.ok, text
    regions = reply.data["regions"]
    assert set(regions) == {"us-east-1", "eu-west-1", "us-west-2"}
    assert regions["us-east-1"]["instances"] == [running["InstanceId"]]
    assert [(t["name"], t["version"], t["latest"], t["default"]) for t in regions["eu-west-1"]["templates"]] == [
        ("web <lt>", 2, True, False)
    ]
    groups = {g["name"]: g["via"] for g in regions["us-west-2"]["groups"]}
    assert groups == {
        "web-asg": f"launch template web-asg ({lt}) version $Latest (1)",
        "web-lc-asg": "launch configuration web-lc",
    }
    lines = text.splitlines()
    assert lines[2].startswith(f"! `{west}` in `eu-west-1` is deprecated since 2025-03-01")  # at the top
    counts = next(i for i, line in enumerate(lines) if "launch template" in line and "regions" in line)
    assert "1 instance (1 running, 0 other)" in lines[counts] and "2 Auto Scaling groups" in lines[counts]
    assert counts < next(i for i, line in enumerate(lines) if line.startswith("instance `"))  # counts first
    assert "version 2 · latest" in text and "&lt;lt&gt;" in reply.text  # the template name escaped


def test_an_unused_ami_says_no_use_found(ctx, services):
    unused = create_ami(services, "us-east-1", "lonely")
    reply = dispatch(ctx, f"/image ami usage {unused}")
    assert reply.ok and reply.data["regions"] == {}
    assert "No use found" in render_text(reply) and "deprecated" not in render_text(reply)


def test_a_deregistered_ami_is_still_found_in_a_template(ctx, services):
    gone = create_ami(services, "us-east-1", "gone")
    template(services, "us-east-1", "still-points-at-it", gone)
    services.ec2("us-east-1").deregister_image(ImageId=gone)
    reply = dispatch(ctx, f"/image ami usage {gone}")
    text = render_text(reply)
    assert reply.ok and "itself was not found" in text and "still-points-at-it" in text


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("ami usage ami-123", "is not an AMI id"),
        ("ami usage no-such-name", "No AMI you own is named `no-such-name` in `us-east-1`"),
        ("ami usage web --region mars-1", "is not an AWS region"),
    ],
)
def test_bad_input_says_what_to_type(ctx, command, expected):
    reply = dispatch(ctx, f"/image {command}")
    assert not reply.ok and expected in render_text(reply)


def test_an_ami_older_than_the_policy_age_is_flagged_at_the_top(settings, services):
    from bot.access.policy import Policy
    from bot.framework.context import Context
    from bot.services import Services

    old = create_ami(services, "us-east-1", "old-base")
    young = create_ami(services, "us-east-1", "young-base")
    set_fields("us-east-1", old, creation_date=datetime.now(UTC) - timedelta(days=200, hours=1))
    policy = Policy.model_validate({"guardrails": {"ami": {"max_age": "180d"}}})
    aged = Context(settings, Services(settings, policy=policy), user_id="U0USER", channel_id="C0CHAN")
    lines = render_text(dispatch(aged, f"/image ami usage {old}")).splitlines()
    assert (
        lines[2].startswith(f"! `{old}` in `us-east-1` is 200 days old") and "older than the policy's 180d" in lines[2]
    )
    assert "older than" not in render_text(dispatch(aged, f"/image ami usage {young}"))
    assert "older than" not in render_text(dispatch(Context(settings, services), f"/image ami usage {old}"))  # no limit
