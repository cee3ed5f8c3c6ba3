"""AWS throttling outlasting botocore's own retries: the copy and launch jobs retry it and succeed on attempt 3.

The worker reaches moto through a local proxy (tests/support/slow_aws.py) that answers the first two
CopyImage (or RunInstances) calls as EC2 throttles: HTTP 503 with `RequestLimitExceeded` in EC2's XML.
botocore makes one attempt (AWS_MAX_ATTEMPTS=1), so the job itself must see the throttling and retry.
The kind's back-off is 1 s here (RQ's retry intervals are fixed in the process that enqueues).
"""

from __future__ import annotations

import dataclasses

import pytest

from bot.access.guardrails import launches_left
from bot.dispatch.confirm import accept_now
from bot.dispatch.run import dispatch
from bot.framework.job_kind import KINDS
from bot.jobs.record import SUCCEEDED
from tests.handlers.conftest import all_instances, wait_done
from tests.support.ec2 import create_ami
from tests.support.slow_aws import SlowProxy

pytestmark = pytest.mark.usefixtures("no_default_amis")


@pytest.fixture
def throttling(settings, policy_file, aws_url, start_worker, monkeypatch):
    """A proxy in front of moto, and a real worker that reaches AWS only through it, with one botocore attempt."""
    proxy = SlowProxy(aws_url, delay=0)
    cfg = settings.model_copy(update={"aws_endpoint_url": proxy.url, "policy_file": policy_file})
    start_worker(cfg, AWS_MAX_ATTEMPTS="1", IMAGEBOT_DEFAULT_REGION=settings.aws_region)
    for kind in ("ami.copy", "ami.launch"):
        monkeypatch.setitem(KINDS, kind, dataclasses.replace(KINDS[kind], backoff=(1,)))
    yield proxy
    proxy.stop()


def _retry_lines(slack_api, record) -> list[str]:
    texts = [
        str(c.body.get("text", "")) for c in slack_api.calls_to("chat.update") if c.body.get("ts") == record.message_ts
    ]
    return [t for t in texts if "retrying in 1s after: AWS is throttling requests" in t]


def test_a_throttled_copy_job_is_retried_and_succeeds_on_attempt_3(ops, throttling, slack_api):
    ami_id = create_ami(ops.services, "us-east-1", "web-base-1")
    throttling.throttle("CopyImage", 2)
    reply = dispatch(ops, f"/image ami copy {ami_id} eu-west-1")
    assert reply.ok and reply.proposal is not None, reply.plain
    reply.proposal.args["poll"] = 0.2
    started = accept_now(ops, reply)
    assert started.ok and started.job_id, started.plain

    record = wait_done(ops, started.job_id, timeout=60)
    assert record.status == SUCCEEDED, record.error
    assert record.attempts == 3, record
    assert throttling.throttled == ["CopyImage", "CopyImage"]
    new_id = dict(tuple(f) for f in record.result_fields)["New AMI"]
    copies = ops.services.ec2("eu-west-1").describe_images(Owners=["self"])["Images"]
    assert [i["ImageId"] for i in copies] == [new_id]  # one copy, not one per attempt
    assert _retry_lines(slack_api, record), "the job's message said it was retrying after throttling"


def test_a_throttled_launch_job_is_retried_starts_one_instance_and_counts_one_launch(ops, throttling, slack_api):
    ami_id = create_ami(ops.services, "us-east-1", "web-base-1")
    throttling.throttle("RunInstances", 2)
    reply = dispatch(ops, f"/image launch {ami_id} --type t3.micro")
    assert reply.ok and reply.proposal is not None, reply.plain
    reply.proposal.args["poll"] = 0.2
    started = accept_now(ops, reply)
    assert started.ok and started.job_id, started.plain

    record = wait_done(ops, started.job_id, timeout=60)
    assert record.status == SUCCEEDED, record.error
    assert record.attempts == 3, record
    assert throttling.throttled == ["RunInstances", "RunInstances"]
    assert len(all_instances(ops.services)) == 1
    # the two refused attempts gave their launch back: one of the two a day is used
    assert launches_left(ops.services.redis, ops.services.policy, ops.user_id) == 1
    assert _retry_lines(slack_api, record)


def test_a_permanent_aws_refusal_is_not_retried(ops, throttling):
    """The other way round: an error that waiting does not change fails on the first attempt."""
    ami_id = create_ami(ops.services, "us-east-1", "web-base-1")
    reply = dispatch(ops, f"/image ami copy {ami_id} eu-west-1")
    assert reply.ok and reply.proposal is not None, reply.plain
    throttling.fault = 400  # every call from now on: an EC2-style client error
    started = accept_now(ops, reply)
    record = wait_done(ops, started.job_id, timeout=60)
    assert record.status == "failed" and record.attempts == 1, record
    assert "Status400" in record.error and "try again" not in record.error.lower(), record.error
