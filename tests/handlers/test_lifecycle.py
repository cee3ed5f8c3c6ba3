"""`/image stop | start | terminate`: who may, the confirmation, and the jobs (moto over HTTP, real Redis, a worker)."""

import pytest

from bot.access.audit import AUDIT_STREAM
from bot.access.guardrails import launches_left
from bot.core.terminal import render_text
from bot.dispatch.confirm import accept_now
from bot.dispatch.run import dispatch
from handlers.lifecycle import start_job, stop_job
from tests.handlers.conftest import wait_done
from tests.support.ec2 import create_ami
from tests.support.instances import as_user, launched_by, policy_text, run_job  # noqa: F401 (the fixture)

pytestmark = pytest.mark.usefixtures("no_default_amis")


def state_of(services, instance_id, region="us-east-1"):
    reservations = services.ec2(region).describe_instances(InstanceIds=[instance_id])["Reservations"]
    return reservations[0]["Instances"][0]["State"]["Name"]


def audit_entries(services):
    return [{k.decode(): v.decode() for k, v in f.items()} for _, f in services.redis.xrange(AUDIT_STREAM)]


def test_terminate_by_another_user_is_refused_and_a_manager_may(ops):
    instance = launched_by(ops, create_ami(ops.services, "us-east-1", "web-base-1"))
    refused = dispatch(as_user(ops, "U0OTHER"), f"/image terminate {instance}")
    assert not refused.ok and refused.proposal is None
    assert "launched by <@U0OPS>" in refused.text and "`manage` permission" in refused.text
    managed = dispatch(as_user(ops, "U0MGR"), f"/image terminate {instance}")
    assert managed.ok and managed.proposal is not None and managed.proposal.permission == "manage", managed.text
    assert state_of(ops.services, instance) == "running"  # nothing happened before a confirmation


def test_terminate_by_the_owner_is_confirmed_runs_as_a_job_and_ends_terminated(ops, worker_env, slack_api):
    instance = launched_by(ops, create_ami(ops.services, "us-east-1", "web-base-1"), name="smoke")
    reply = dispatch(ops, f"/image terminate {instance}")
    text = render_text(reply)
    assert reply.ok and reply.proposal is not None, text
    assert f"Terminate {instance}?" in text and "cannot be undone" in text
    assert "8 GiB gp2 · deleted" in text and "kept" not in text  # the root volume goes with it (DeleteOnTermination)
    assert state_of(ops.services, instance) == "running"
    reply.proposal.args["poll"] = 0.2
    started = accept_now(ops, reply)
    record = wait_done(ops, started.job_id)
    assert record.status == "succeeded", record.error
    assert dict(tuple(f) for f in record.result_fields)["State"] == "terminated"
    assert state_of(ops.services, instance) == "terminated"
    assert slack_api.calls_to("chat.postMessage")[0].body["channel"] == "C0OPS"  # progress reported in Slack
    done = [e for e in audit_entries(ops.services) if e["command"] == "instance.terminate"]
    assert done and done[-1]["outcome"] == "terminated" and done[-1]["job_id"] == record.id
    assert done[-1]["user"] == "U0OPS" and instance in done[-1]["text"]


def test_stop_then_start_by_the_owner_and_start_counts_as_a_launch(ops):
    instance = launched_by(ops, create_ami(ops.services, "us-east-1", "web-base-1"))
    stopping = dispatch(ops, f"/image stop {instance}")
    assert stopping.ok and stopping.proposal.permission == "read", stopping.text
    result = run_job(ops, stop_job, "instance.stop", {**stopping.proposal.args, "poll": 0}, "s1")
    assert dict(result.fields)["State"] == "stopped" and state_of(ops.services, instance) == "stopped"
    again = dispatch(ops, f"/image stop {instance}")
    assert not again.ok and "is stopped, so there is nothing to stop" in again.text
    left = launches_left(ops.services.redis, ops.services.policy, "U0OPS")
    starting = dispatch(ops, f"/image start {instance}")
    assert starting.ok and starting.proposal.permission == "launch", starting.text
    result = run_job(ops, start_job, "instance.start", {**starting.proposal.args, "poll": 0}, "s2")
    assert dict(result.fields)["State"] == "running" and state_of(ops.services, instance) == "running"
    assert launches_left(ops.services.redis, ops.services.policy, "U0OPS") == left - 1


def test_an_instance_the_bot_did_not_launch_is_for_admins_only(ops):
    ami_id = create_ami(ops.services, "us-east-1", "web-base-1")
    other = ops.services.ec2("us-east-1").run_instances(ImageId=ami_id, MinCount=1, MaxCount=1)
    instance = other["Instances"][0]["InstanceId"]
    refused = dispatch(as_user(ops, "U0MGR"), f"/image stop {instance}")
    assert not refused.ok and "not launched through imagebot" in refused.text and "only an admin" in refused.text
    admin = dispatch(as_user(ops, "U0ADMIN"), f"/image stop {instance}")
    assert admin.ok and admin.proposal.permission == "admin", admin.text


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("stop i-123", "is not an instance id"),
        ("terminate", "Usage: `/image terminate <instance-id> [--region R]`"),
        ("start i-0123456789abcdef0", "was not found in `us-east-1`"),
        ("stop i-0123456789abcdef0 --region nowhere", "is not an AWS region"),
    ],
)
def test_bad_input_says_what_to_type(ops, command, expected):
    reply = dispatch(ops, f"/image {command}")
    assert not reply.ok and expected in render_text(reply) and "Error" not in reply.text
