"""Instances: validating a type, the launch parameters, DryRun, launching once, and looking instances up."""

from __future__ import annotations

import re
from typing import Any

from bot.aws.clients import AwsClients
from bot.aws.errors import aws_errors, error_code, explain
from bot.aws.images import tag_list
from bot.core.errors import CommandError
from bot.core.text import echo

_SIZE = r"(?:nano|micro|small|medium|large|xlarge|\d+xlarge|metal(?:-\d+xl)?)"
INSTANCE_TYPE = re.compile(rf"(?=[a-z0-9-]*\d)[a-z][a-z0-9]*(?:-[a-z0-9]+)*\.{_SIZE}")


def validate_instance_type(value: str) -> str:
    """An instance type such as `t3.micro`, `m7g.2xlarge` or `c6in.metal-24xl`."""
    name = value.strip().lower()
    if not INSTANCE_TYPE.fullmatch(name):
        raise CommandError(
            f"`{echo(value)}` is not an instance type. "
            "Write family and size, like `--type t3.micro` or `--type m7g.large`."
        )
    return name


# The types a form offers when the policy allows a pattern (`t3.*`): common families in every size people pick.
COMMON_FAMILIES = ("t3", "t3a", "t4g", "m6i", "m7i", "m7g", "c6i", "c7i", "c7g", "r6i", "r7g")
COMMON_SIZES = ("nano", "micro", "small", "medium", "large", "xlarge", "2xlarge", "4xlarge", "8xlarge")


def instance_type_candidates(patterns: tuple[str, ...]) -> list[str]:
    """Concrete instance types to offer for these patterns: the literal ones, and every common size of each
    family a pattern names (`m5.*` -> `m5.large`…) or of the common families (`*.large`); not yet filtered."""
    families = [p.split(".", 1)[0] for p in patterns if "." in p and not any(c in p.split(".", 1)[0] for c in "*?[")]
    literal = [p for p in patterns if INSTANCE_TYPE.fullmatch(p)]
    sized = [f"{family}.{size}" for family in dict.fromkeys((*families, *COMMON_FAMILIES)) for size in COMMON_SIZES]
    return list(dict.fromkeys((*literal, *sized)))


# every resource RunInstances creates carries the tags (the IAM policy's condition applies to each)
LAUNCH_TAGGED = ("instance", "volume", "network-interface")


class DryRunRefused(CommandError):
    """The launch DryRun said the bot may not run the instance (or the parameters are wrong)."""


def launch_params(
    ami_id: str,
    instance_type: str,
    tags: dict[str, str],
    subnet: str | None = None,
    key: str | None = None,
) -> dict[str, Any]:
    """The run_instances parameters of a launch (the DryRun and the job use the same)."""
    spec = tag_list(tags)
    params: dict[str, Any] = {
        "ImageId": ami_id,
        "InstanceType": instance_type,
        "MinCount": 1,
        "MaxCount": 1,
        "TagSpecifications": [{"ResourceType": kind, "Tags": spec} for kind in LAUNCH_TAGGED],
    }
    if subnet:
        params["SubnetId"] = subnet
    if key:
        params["KeyName"] = key
    return params


def dry_run_launch(clients: AwsClients, region: str, params: dict[str, Any]) -> None:
    """`run_instances(DryRun=True)`: returns when EC2 says it would succeed, else a clear refusal."""
    from botocore.exceptions import ClientError  # here: botocore loads with the first AWS call, not at start-up

    with aws_errors(region):
        try:
            clients.ec2(region).run_instances(DryRun=True, **params)
        except ClientError as exc:
            if error_code(exc) == "DryRunOperation":
                return
            reason = explain(exc, region).message
            raise DryRunRefused(f"Nothing was started: the launch check (DryRun) failed. {reason}") from exc
    # an endpoint that ignores DryRun would have started an instance: never treat that as fine
    raise DryRunRefused(f"The EC2 endpoint in `{region}` ignored DryRun; refusing to launch through it.")


def run_instance(clients: AwsClients, region: str, params: dict[str, Any], token: str) -> dict[str, Any]:
    """Start one instance; the same `token` never starts a second one (EC2 idempotency)."""
    with aws_errors(region):
        answer = clients.ec2(region).run_instances(ClientToken=token, **params)
    return dict(answer["Instances"][0])


def find_instance_by_tag(clients: AwsClients, region: str, key: str, value: str) -> dict[str, Any] | None:
    """A live (not terminated) instance carrying the tag `key`=`value`, if any."""
    filters = [
        {"Name": f"tag:{key}", "Values": [value]},
        {"Name": "instance-state-name", "Values": ["pending", "running", "stopping", "stopped"]},
    ]
    with aws_errors(region):
        reservations = clients.ec2(region).describe_instances(Filters=filters)["Reservations"]
    found = [i for r in reservations for i in r["Instances"]]
    return dict(found[0]) if found else None


def describe_instance(clients: AwsClients, region: str, instance_id: str) -> dict[str, Any] | None:
    """The instance, or None while EC2 does not show it yet (eventual consistency right after a launch)."""
    from botocore.exceptions import ClientError

    with aws_errors(region):
        try:
            reservations = clients.ec2(region).describe_instances(InstanceIds=[instance_id])["Reservations"]
        except ClientError as exc:
            if error_code(exc) == "InvalidInstanceID.NotFound":
                return None
            raise
    found = [i for r in reservations for i in r["Instances"]]
    return dict(found[0]) if found else None
