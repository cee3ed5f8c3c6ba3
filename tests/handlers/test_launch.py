"""`/image launch`: the proposal, DryRun, guardrails and quota, and the launch job (moto over HTTP, real Redis)."""

import time
from unittest import mock

import pytest
from botocore.exceptions import ClientError

from bot.access.guardrails import consume_launch
from bot.core.terminal import render_text
from bot.dispatch.confirm import accept_now
from bot.dispatch.run import dispatch
from bot.framework.context import Context
from bot.jobs.progress import Progress
from bot.jobs.record import JobRecord
from bot.jobs.store import JobStore
from bot.services import Services
from handlers.launch import client_token, launch_job, price_class
from tests.conftest import free_port
from tests.handlers.conftest import all_instances, tags_of, wait_done
from tests.support.ec2 import create_ami, set_fields

pytestmark = pytest.mark.usefixtures("no_default_amis")


def test_launch_proposal_runs_a_dry_run_first(ops):
    ami_id = create_ami(ops.services, "us-east-1", "web-base-1")
    client = ops.services.ec2("us-east-1")
    before = len(all_instances(ops.services))
    with mock.patch.object(client, "run_instances", wraps=client.run_instances) as run:
        reply = dispatch(ops, f"/image launch {ami_id} --type t3.small --name smoke")
    assert reply.ok and reply.proposal is not None, render_text(reply)
    assert run.call_count == 1 and run.call_args.kwargs["DryRun"] is True
    assert run.call_args.kwargs["ImageId"] == ami_id and run.call_args.kwargs["InstanceType"] == "t3.small"
    text = render_text(reply)
    assert "small (≈ $0.01–0.05/h)" in text
    assert "`imagebot:requested-by`=`U0OPS`" in text and "`team`=`platform`" in text
    assert len(all_instances(ops.services)) == before  # nothing was started


def test_a_dry_run_refusal_is_reported_before_any_proposal(ops):
    ami_id = create_ami(ops.services, "us-east-1", "web-base-1")
    denied = ClientError(
        {"Error": {"Code": "UnauthorizedOperation", "Message": "You are not authorized to perform this operation."}},
        "RunInstances",
    )
    client = ops.services.ec2("us-east-1")
    with mock.patch.object(client, "run_instances", side_effect=denied) as run:
        reply = dispatch(ops, f"/image launch {ami_id}")
    assert run.call_args.kwargs["DryRun"] is True
    assert not reply.ok and reply.proposal is None
    assert "DryRun" in reply.text and "not allowed to call `ec2:RunInstances`" in reply.text


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("--type m5.large", "Instance type `m5.large` is not allowed"),
        ("--region eu-west-1", "Launching in `eu-west-1` is not allowed"),
        ("--type t3", "is not an instance type"),
    ],
)
def test_launch_guardrails_refuse(ops, command, expected):
    reply = dispatch(ops, f"/image launch ami-0abcdef1234567890 {command}")
    assert not reply.ok and expected in reply.text and reply.proposal is None


def test_launch_quota_refuses(ops):
    for _ in range(2):
        consume_launch(ops.services.redis, ops.services.policy, "U0OPS")
    reply = dispatch(ops, "/image launch ami-0abcdef1234567890")
    assert not reply.ok and "limit of 2 launches per day" in reply.text


def test_launch_with_redis_down_says_the_job_store_is_unavailable(ops):
    down = ops.settings.model_copy(update={"redis_url": f"redis://127.0.0.1:{free_port()}/0"})
    ctx = Context(down, Services(down, policy=ops.services.policy), user_id="U0OPS", channel_id="C0OPS")
    reply = dispatch(ctx, "/image launch ami-0abcdef1234567890")
    assert not reply.ok and "job store is unavailable" in reply.text and "Something went wrong" not in reply.text


def test_a_deprecated_ami_needs_the_flag(ops):
    ami_id = create_ami(ops.services, "us-east-1", "old-base")
    set_fields("us-east-1", ami_id, deprecation_time="2025-03-01T00:00:00.000Z")
    refused = dispatch(ops, f"/image launch {ami_id}")
    assert not refused.ok and "is deprecated" in refused.text and "--allow-deprecated" in refused.text
    allowed = dispatch(ops, f"/image launch {ami_id} --allow-deprecated")
    assert allowed.ok and allowed.proposal is not None, allowed.text


def test_launch_job_runs_tags_the_instance_and_reports_in_slack(ops, worker_env, slack_api):
    ami_id = create_ami(ops.services, "us-east-1", "web-base-1")
    reply = dispatch(ops, f"/image launch {ami_id} --name smoke")
    reply.proposal.args["poll"] = 0.2
    started = accept_now(ops, reply)
    record = wait_done(ops, started.job_id)
    assert record.status == "succeeded", record.error
    result = dict(tuple(f) for f in record.result_fields)
    assert result["State"] == "running" and result["Type"] == "t3.micro" and result["AZ"].startswith("us-east-1")
    assert result["Console"].endswith(f"#InstanceDetails:instanceId={result['Instance']}")
    [instance] = all_instances(ops.services)
    tags = tags_of(instance)
    assert tags["imagebot:requested-by"] == "U0OPS" and tags["imagebot:job"] == record.id
    assert tags["team"] == "platform" and tags["Name"] == "smoke"
    progress_message = slack_api.calls_to("chat.postMessage")[0]
    assert progress_message.body["channel"] == "C0OPS"
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        thread = [c for c in slack_api.calls_to("chat.postMessage") if c.body.get("thread_ts")]
        if thread:
            break
        time.sleep(0.1)
    assert thread and result["Instance"] in str(thread[-1].body)


def _progress(ops, job_id, args):
    store = JobStore(ops.services.redis, ops.settings)
    record = JobRecord(id=job_id, kind="ami.launch", args=args, target="t", user_id="U0OPS", status="running")
    store.create(record)
    return Progress(store, record)


def test_a_retried_launch_job_starts_one_instance_with_one_client_token(ops):
    ami_id = create_ami(ops.services, "us-east-1", "web-base-1")
    args = {"ami": ami_id, "region": "us-east-1", "type": "t3.micro", "name": "x", "confirmation": "c0ffee", "poll": 0}
    tokens: list[str] = []
    client = ops.services.ec2("us-east-1")

    def capture(params, **_):
        if not params.get("DryRun"):
            tokens.append(params["ClientToken"])

    client.meta.events.register("provide-client-params.ec2.RunInstances", capture)
    try:
        first = launch_job(ops, _progress(ops, "a1b2", args), args)
        second = launch_job(ops, _progress(ops, "a1b2", args), args)  # the same job retried
        assert len(all_instances(ops.services)) == 1
        # moto does not deduplicate by ClientToken (real EC2 does): even an attempt that could not
        # find the first instance sends the same token, so EC2 returns the same instance
        with mock.patch("handlers.launch.find_instance_by_tag", return_value=None):
            launch_job(ops, _progress(ops, "a1b2", args), args)
    finally:
        client.meta.events.unregister("provide-client-params.ec2.RunInstances", capture)
    assert first.fields == second.fields
    assert tokens == [client_token(args, "a1b2")] * 2 and tokens[0] == "imagebot-launch-c0ffee"


def test_price_classes():
    assert price_class("t3.nano").startswith("tiny")
    assert price_class("t3.small").startswith("small")
    assert price_class("m7g.large").startswith("medium")
    assert price_class("c6i.2xlarge").startswith("large")
    assert price_class("c6i.metal").startswith("very large")
