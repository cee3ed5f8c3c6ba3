"""Instances the bot launched: finding them by their tags, the Instance model, stop/start/terminate, volumes."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bot.aws.clients import AwsClients
from bot.aws.errors import aws_errors
from bot.aws.images import parse_time, tag_map
from bot.core.command import PREFIX
from bot.core.errors import CommandError
from bot.core.text import echo

# the launch job writes these (bot.access.guardrails.required_tags and handlers/launch.py)
OWNER_TAG = "imagebot:requested-by"
EXPIRES_TAG = "imagebot:expires-at"
LIVE_STATES = ("pending", "running", "shutting-down", "stopping", "stopped")
INSTANCE_ID = re.compile(r"i-(?:[0-9a-f]{8}|[0-9a-f]{17})")

# action -> (the EC2 call, the state it ends in, the states it passes through on the way)
ACTIONS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "stop": ("stop_instances", "stopped", ("stopping",)),
    "start": ("start_instances", "running", ("pending",)),
    "terminate": ("terminate_instances", "terminated", ("shutting-down",)),
}


def validate_instance_id(value: str) -> str:
    """An instance id, lower-cased, or a CommandError saying what one looks like."""
    instance_id = value.strip().lower()
    if not INSTANCE_ID.fullmatch(instance_id):
        raise CommandError(
            f"`{echo(value)}` is not an instance id. It is `i-` and 8 or 17 hex digits, like "
            f"`{PREFIX} stop i-0abcdef1234567890`; `{PREFIX} instances` lists yours."
        )
    return instance_id


@dataclass(frozen=True)
class Instance:
    """One EC2 instance as DescribeInstances returns it, with the fields imagebot reads."""

    region: str
    data: dict[str, Any]

    @property
    def id(self) -> str:
        return str(self.data["InstanceId"])

    @property
    def tags(self) -> dict[str, str]:
        return tag_map(self.data)

    @property
    def name(self) -> str:
        return self.tags.get("Name", "")

    @property
    def state(self) -> str:
        return str((self.data.get("State") or {}).get("Name") or "unknown")

    @property
    def type(self) -> str:
        return str(self.data.get("InstanceType") or "?")

    @property
    def ami(self) -> str:
        return str(self.data.get("ImageId") or "?")

    @property
    def owner(self) -> str | None:
        """The Slack user who launched it through the bot; None for an instance the bot did not launch."""
        return self.tags.get(OWNER_TAG) or None

    @property
    def launched(self) -> datetime | None:
        return parse_time(self.data.get("LaunchTime"))

    @property
    def expires(self) -> datetime | None:
        return parse_time(self.tags.get(EXPIRES_TAG))

    def volumes(self) -> list[tuple[str, str, bool]]:
        """(device, volume id, deleted on termination) for every attached EBS volume."""
        out = []
        for mapping in self.data.get("BlockDeviceMappings") or []:
            ebs = mapping.get("Ebs") or {}
            if ebs.get("VolumeId"):
                out.append(
                    (str(mapping.get("DeviceName", "?")), str(ebs["VolumeId"]), bool(ebs.get("DeleteOnTermination")))
                )
        return out


def expiry_value(when: datetime) -> str:
    """The `imagebot:expires-at` tag's value: ISO UTC to the second, like `2026-12-02T10:00:00Z`."""
    return when.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def list_expiring(clients: AwsClients, region: str) -> list[Instance]:
    """Live instances the bot launched that carry an expiry (the sweep's look-up: one paginated call)."""
    filters = [
        {"Name": "tag-key", "Values": [OWNER_TAG]},
        {"Name": "tag-key", "Values": [EXPIRES_TAG]},
        {"Name": "instance-state-name", "Values": ["pending", "running", "stopping", "stopped"]},
    ]
    with aws_errors(region):
        pages = clients.ec2(region).get_paginator("describe_instances").paginate(Filters=filters)
        return [Instance(region, i) for page in pages for r in page["Reservations"] for i in r["Instances"]]


def set_expiry(clients: AwsClients, region: str, instance_id: str, when: datetime) -> None:
    """Move the instance's `imagebot:expires-at` tag to `when` (CreateTags overwrites the value)."""
    with aws_errors(region):
        tags = [{"Key": EXPIRES_TAG, "Value": expiry_value(when)}]
        clients.ec2(region).create_tags(Resources=[instance_id], Tags=tags)


def list_launched(clients: AwsClients, region: str, owner: str | None = None) -> list[Instance]:
    """Instances the bot launched in a region (any owner, or only `owner`'s), terminated ones left out."""
    tag = {"Name": f"tag:{OWNER_TAG}", "Values": [owner]} if owner else {"Name": "tag-key", "Values": [OWNER_TAG]}
    filters = [tag, {"Name": "instance-state-name", "Values": list(LIVE_STATES)}]
    with aws_errors(region):
        pages = clients.ec2(region).get_paginator("describe_instances").paginate(Filters=filters)
        found = [Instance(region, i) for page in pages for r in page["Reservations"] for i in r["Instances"]]
    return sorted(found, key=lambda i: (i.launched is None, i.launched), reverse=True)


def using_image(clients: AwsClients, region: str, ami_ids: list[str]) -> list[Instance]:
    """Pending, running, stopping and stopped instances launched from these AMIs (whoever launched them)."""
    filters = [
        {"Name": "image-id", "Values": ami_ids},
        {"Name": "instance-state-name", "Values": ["pending", "running", "stopping", "stopped"]},
    ]
    with aws_errors(region):
        pages = clients.ec2(region).get_paginator("describe_instances").paginate(Filters=filters)
        return [Instance(region, i) for page in pages for r in page["Reservations"] for i in r["Instances"]]


def get_instance(clients: AwsClients, region: str, instance_id: str) -> Instance | None:
    """The instance with this id in this region, or None when it is not there."""
    from botocore.exceptions import ClientError  # here: botocore loads with the first AWS call

    with aws_errors(region):
        try:
            reservations = clients.ec2(region).describe_instances(InstanceIds=[instance_id])["Reservations"]
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in (
                "InvalidInstanceID.NotFound",
                "InvalidInstanceID.Malformed",
            ):
                return None
            raise
    found = [i for r in reservations for i in r["Instances"]]
    return Instance(region, found[0]) if found else None


def change_state(clients: AwsClients, region: str, instance_id: str, action: str) -> str:
    """Ask EC2 to stop, start or terminate the instance; returns the state EC2 answered (`stopping`, …)."""
    call = ACTIONS[action][0]
    with aws_errors(region):
        answer = getattr(clients.ec2(region), call)(InstanceIds=[instance_id])
    changes = answer.get("StoppingInstances") or answer.get("StartingInstances") or answer.get("TerminatingInstances")
    return str(((changes or [{}])[0].get("CurrentState") or {}).get("Name") or "unknown")


def volume_sizes(clients: AwsClients, region: str, volume_ids: list[str]) -> dict[str, str]:
    """`8 GiB gp3` for each volume id (DescribeVolumes)."""
    if not volume_ids:
        return {}
    with aws_errors(region):
        volumes = clients.ec2(region).describe_volumes(VolumeIds=volume_ids)["Volumes"]
    return {str(v["VolumeId"]): f"{v.get('Size', '?')} GiB {v.get('VolumeType') or ''}".strip() for v in volumes}
