"""Instances launched through the bot for the lifecycle tests: a policy with owners and a manager, a launch helper."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.framework.context import Context
from bot.jobs.progress import Progress
from bot.jobs.record import JobRecord
from bot.jobs.store import JobStore
from handlers.launch import launch_job

POLICY = """
roles:
  ops: {permissions: [launch]}
  managers: {permissions: [manage]}
  admins: {permissions: [admin]}
grants:
  users: {U0OPS: [ops], U0OTHER: [ops], U0MGR: [managers], U0ADMIN: [admins]}
guardrails:
  launch:
    instance_types: ["t3.*"]
    regions: [us-east-1, eu-west-1]
    max_per_user_per_day: 5
"""


@pytest.fixture
def policy_text():
    """The policy `ops` (tests/conftest.py) runs under: U0OPS and U0OTHER launch, U0MGR manages, U0ADMIN is an admin."""
    return POLICY


def as_user(ctx: Context, user_id: str) -> Context:
    return replace(ctx, user_id=user_id)


def run_job(ctx: Context, func, kind: str, args: dict, job_id: str):
    """Run a job kind's function in this process as `ctx`'s user (the worker path is tested on its own)."""
    store = JobStore(ctx.services.redis, ctx.settings)
    record = JobRecord(id=job_id, kind=kind, args=args, target="t", user_id=ctx.user_id, status="running")
    store.create(record)
    return func(ctx, Progress(store, record), args)


def launched_by(ctx: Context, ami_id: str, region: str = "us-east-1", name: str = "smoke", job_id: str = "j1", **extra):
    """The id of an instance launched through the launch job as `ctx`'s user."""
    args = {"ami": ami_id, "region": region, "type": "t3.micro", "name": name, "poll": 0, **extra}
    return dict(run_job(ctx, launch_job, "ami.launch", args, job_id).fields)["Instance"]
