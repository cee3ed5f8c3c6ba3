"""AMIs: validating an id, the Image model, and looking images up by id or name."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bot.aws.clients import AwsClients
from bot.aws.errors import NOT_FOUND, aws_errors, error_code
from bot.core.command import PREFIX
from bot.core.errors import CommandError
from bot.core.text import echo

log = logging.getLogger(__name__)

AMI_ID = re.compile(r"ami-(?:[0-9a-f]{8}|[0-9a-f]{17})")
# EC2's rule for AMI names (CopyImage, CreateImage, RegisterImage): 3-128 of these characters.
AMI_NAME = re.compile(r"[A-Za-z0-9 ()\[\]./\-'@_]{3,128}")
AMI_NAME_CHARS = "letters, numbers, spaces and ( ) [ ] . / - ' @ _"
# Tags imagebot writes on every copy it makes (the copy job uses these names).
SOURCE_IMAGE_TAG = "imagebot:source-image-id"
SOURCE_REGION_TAG = "imagebot:source-region"


def looks_like_ami_id(value: str) -> bool:
    """`ami-` and 8 or 17 hex digits (any case, spaces around allowed)."""
    return AMI_ID.fullmatch(value.strip().lower()) is not None


def validate_ami_id(value: str) -> str:
    """An AMI id, lower-cased, or a CommandError saying what one looks like."""
    ami_id = value.strip().lower()
    if not AMI_ID.fullmatch(ami_id):
        raise CommandError(
            f"`{echo(value)}` is not an AMI id. An AMI id is `ami-` and 8 or 17 hex digits, "
            f"like `{PREFIX} ami status ami-0abcdef1234567890`."
        )
    return ami_id


def validate_ami_name(value: str) -> str:
    """A name EC2 accepts for a new AMI, or a CommandError saying what is allowed (checked before any call)."""
    name = value.strip()
    if AMI_NAME.fullmatch(name):
        return name
    if len(name) < 3 or len(name) > 128:
        problem = f"is {len(name)} characters long"
    else:
        bad = sorted({c for c in name if not AMI_NAME.fullmatch(c * 3)})
        problem = "contains " + " ".join(f"`{c}`" if c != "`" else "a backtick" for c in bad[:5])
    raise CommandError(
        f"`{echo(name)}` cannot be an AMI name: it {problem}. An AMI name is 3 to 128 characters: "
        f"{AMI_NAME_CHARS}. For example `--name web-base-2026.11.20-eu`."
    )


def parse_time(value: Any) -> datetime | None:
    """An EC2 timestamp (ISO string or datetime) as an aware UTC datetime."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if not value:
        return None
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")).astimezone(UTC)
    except ValueError:
        return None


def tag_map(data: dict[str, Any]) -> dict[str, str]:
    """EC2's `Tags` list (of a DescribeImages or DescribeInstances item) as a dict."""
    return {t["Key"]: t.get("Value", "") for t in data.get("Tags") or []}


@dataclass(frozen=True)
class Image:
    """One AMI as DescribeImages returns it, with the fields imagebot reads."""

    region: str
    data: dict[str, Any]

    @property
    def id(self) -> str:
        return str(self.data["ImageId"])

    @property
    def name(self) -> str:
        return str(self.data.get("Name") or "")

    @property
    def state(self) -> str:
        return str(self.data.get("State") or "unknown")

    @property
    def tags(self) -> dict[str, str]:
        return tag_map(self.data)

    @property
    def created(self) -> datetime | None:
        return parse_time(self.data.get("CreationDate"))

    @property
    def deprecation(self) -> datetime | None:
        return parse_time(self.data.get("DeprecationTime"))

    def deprecated(self, now: datetime) -> bool:
        return self.deprecation is not None and self.deprecation <= now

    @property
    def source_id(self) -> str | None:
        """The image this one was copied from: EC2's SourceImageId, else imagebot's tag."""
        return self.data.get("SourceImageId") or self.tags.get(SOURCE_IMAGE_TAG) or None

    @property
    def source_region(self) -> str | None:
        return self.data.get("SourceImageRegion") or self.tags.get(SOURCE_REGION_TAG) or None


def tag_list(tags: dict[str, str]) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in tags.items()]


def describe_image(clients: AwsClients, region: str, ami_id: str) -> Image | None:
    """The AMI with this id in this region, or None when it is not there (or deregistered)."""
    from botocore.exceptions import ClientError  # here: botocore loads with the first AWS call, not at start-up

    with aws_errors(region):
        try:
            images = clients.ec2(region).describe_images(ImageIds=[ami_id])["Images"]
        except ClientError as exc:
            if error_code(exc) in NOT_FOUND:
                return None
            raise
    return Image(region, images[0]) if images else None


def find_by_name(clients: AwsClients, region: str, pattern: str) -> list[Image]:
    """Owned AMIs whose name matches (a `*` pattern or an exact name), newest first."""
    with aws_errors(region):
        pages = (
            clients.ec2(region)
            .get_paginator("describe_images")
            .paginate(Owners=["self"], Filters=[{"Name": "name", "Values": [pattern]}])
        )
        images = [Image(region, data) for page in pages for data in page["Images"]]
    return newest_first(images)


def list_owned(clients: AwsClients, region: str) -> list[Image]:
    """Every AMI the account owns in a region (deprecated ones included)."""
    with aws_errors(region):
        pages = clients.ec2(region).get_paginator("describe_images").paginate(Owners=["self"], IncludeDeprecated=True)
        return [Image(region, data) for page in pages for data in page["Images"]]


def newest_first(images: Iterable[Image]) -> list[Image]:
    oldest = datetime.min.replace(tzinfo=UTC)
    return sorted(images, key=lambda i: i.created or oldest, reverse=True)


def last_launched(clients: AwsClients, image: Image) -> datetime | None:
    """When an instance was last launched from the AMI, if AWS says; None when it can't."""
    if image.data.get("LastLaunchedTime"):
        return parse_time(image.data["LastLaunchedTime"])
    try:
        with aws_errors(image.region):
            attr = clients.ec2(image.region).describe_image_attribute(ImageId=image.id, Attribute="lastLaunchedTime")
    except CommandError as exc:
        log.info("no last launched time", extra={"ami": image.id, "region": image.region, "error": exc.message})
        return None
    return parse_time((attr.get("LastLaunchedTime") or {}).get("Value"))
