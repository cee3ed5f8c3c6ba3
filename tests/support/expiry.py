"""The expiry tests' policy, services and helpers: a sweeper context, the DMs it sent, the expiry tag."""

from __future__ import annotations

from datetime import datetime

from bot.access.policy import load_policy
from bot.aws.images import parse_time
from bot.aws.lifecycle import EXPIRES_TAG
from bot.core.config import Settings
from bot.dispatch.registry import REGISTRY
from bot.framework.context import Context
from bot.services import Services
from bot.slack.notifier import SlackNotifier
from tests.support.slack_api import SlackStandIn

POLICY = """
roles:
  ops: {permissions: [launch]}
  managers: {permissions: [manage]}
grants:
  users: {U0OPS: [ops], U0OTHER: [ops], U0MGR: [managers]}
guardrails:
  launch:
    instance_types: ["t3.*"]
    regions: [us-east-1, eu-west-1]
    max_per_user_per_day: 5
    ttl: {default: 8h, max: 20h, on_expiry: ON_EXPIRY}
"""


def expiry_services(settings: Settings, tmp_path, on_expiry: str = "stop") -> Services:
    path = tmp_path / f"policy-{on_expiry}.yml"
    path.write_text(POLICY.replace("ON_EXPIRY", on_expiry))
    return Services(settings, policy=load_policy(str(path)), notifier=SlackNotifier(settings))


def launcher(services: Services) -> Context:
    """U0OPS from Slack, who may launch (ttl 8h by default, 20h at most)."""
    settings = services.settings
    return Context(settings, services, user_id="U0OPS", channel_id="C0OPS", transport="slack", registry=REGISTRY)


def sweeper(ctx: Context) -> Context:
    """The context the worker's sweep runs with, on `ctx`'s services."""
    return Context(ctx.settings, ctx.services, user_id="imagebot", channel_id="expiry-sweep", transport="worker")


def expires_of(ctx: Context, instance_id: str, region: str = "us-east-1") -> datetime:
    reservations = ctx.services.ec2(region).describe_instances(InstanceIds=[instance_id])["Reservations"]
    tags = {t["Key"]: t["Value"] for t in reservations[0]["Instances"][0].get("Tags", [])}
    when = parse_time(tags[EXPIRES_TAG])
    assert when is not None
    return when


def set_expires(ctx: Context, instance_id: str, value: str, region: str = "us-east-1") -> None:
    ctx.services.ec2(region).create_tags(Resources=[instance_id], Tags=[{"Key": EXPIRES_TAG, "Value": value}])


def dms(slack_api: SlackStandIn, user: str = "U0OPS") -> list[dict]:
    """The bodies of the DMs the bot posted to `user` (chat.postMessage to the user id)."""
    return [c.body for c in slack_api.calls_to("chat.postMessage") if c.body.get("channel") == user]


def buttons(body: dict) -> dict[str, dict]:
    return {e["action_id"]: e for b in body.get("blocks", []) if b["type"] == "actions" for e in b["elements"]}
