"""Fixtures the AMI command tests share: moto without default AMIs, an operator with a policy, a worker."""

import pytest

from bot.jobs.store import JobStore
from tests.support.worker import wait_done as wait_for_job

POLICY = """
contact: "#platform-help"
roles:
  ops: {permissions: [launch, copy]}
grants:
  users: {U0OPS: [ops]}
guardrails:
  launch:
    instance_types: ["t3.*"]
    regions: [us-east-1]
    max_per_user_per_day: 2
    required_tags: {team: platform}
  copy:
    regions: [eu-west-1]
"""


@pytest.fixture
def policy_text():
    """The policy the `ops` context (tests/conftest.py) runs under; a test module may override it with its own."""
    return POLICY


@pytest.fixture
def worker_env(settings, policy_file, monkeypatch, start_worker):
    """A real worker subprocess that reaches moto and reads the same policy."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", settings.aws_endpoint_url)
    monkeypatch.setenv("IMAGEBOT_DEFAULT_REGION", settings.aws_region)
    monkeypatch.setenv("IMAGEBOT_POLICY_FILE", policy_file)
    return start_worker()


def wait_done(ops, job_id, timeout=30.0):
    return wait_for_job(JobStore(ops.services.redis, ops.settings), job_id, timeout)


def tags_of(instance):
    return {t["Key"]: t["Value"] for t in instance.get("Tags", [])}


def all_instances(services, region="us-east-1"):
    """Instances launched by imagebot (the seed helper's own instance has no imagebot tags)."""
    reservations = services.ec2(region).describe_instances()["Reservations"]
    return [i for r in reservations for i in r["Instances"] if "imagebot:job" in tags_of(i)]
