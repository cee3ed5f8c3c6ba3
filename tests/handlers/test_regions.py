"""A region that does not exist is refused by name, with the nearest real one, before any AWS call is made.

The commands reach moto through a counting proxy (tests/support/slow_aws.py): `forwarded` stays 0.
"""

from __future__ import annotations

import pytest

from bot.access.policy import load_policy
from bot.dispatch.registry import REGISTRY
from bot.dispatch.run import dispatch
from bot.framework.context import Context
from bot.services import Services
from tests.support.slow_aws import SlowProxy

AMI = "ami-0abcdef1234567890"
REFUSED = "`us-west-9` is not an AWS region. Did you mean `us-west-2`?"
COMMANDS = [
    f"ami status {AMI} --region us-west-9",
    f"ami copies {AMI} --region us-west-9",
    f"ami copies {AMI} --regions eu-west-1,us-west-9",
    f"ami copy {AMI} us-west-9",
    f"ami copy {AMI} eu-west-1 --source-region us-west-9",
    f"launch {AMI} --region us-west-9",
    f"compare {AMI} nginx:1.27 --region us-west-9",
]


@pytest.fixture
def counted(settings, aws_url, policy_file):
    proxy = SlowProxy(aws_url, delay=0)
    cfg = settings.model_copy(update={"aws_endpoint_url": proxy.url, "policy_file": policy_file})
    services = Services(cfg, policy=load_policy(policy_file))
    yield Context(cfg, services, user_id="U0OPS", channel_id="C0OPS", registry=REGISTRY), proxy
    services.close()
    proxy.stop()


@pytest.mark.parametrize("text", COMMANDS)
def test_a_region_that_does_not_exist_is_named_before_any_aws_call(counted, text):
    ctx, proxy = counted
    reply = dispatch(ctx, f"/image {text}")
    assert not reply.ok and REFUSED in reply.plain, reply.plain
    assert "try again" not in reply.plain.lower() and "Error" not in reply.plain
    assert proxy.forwarded == 0, "an AWS call was made"
