"""AMI operations over boto3: validation, look-ups, copies across regions, error mapping.

Every AWS call goes through `services.ec2(region)` (one client per region,
retries from settings). Input is validated before any call; AWS failures
become `CommandError`s in plain language through `explain()`. Look-ups over
many regions run concurrently in a bounded thread pool (`fan_out`).
"""

from __future__ import annotations

import difflib
import logging
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from typing import TYPE_CHECKING, Any, TypeAlias, TypeVar

import boto3
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    PartialCredentialsError,
    ReadTimeoutError,
)
from botocore.parsers import ResponseParserError

from bot.commands import PREFIX
from bot.errors import CommandError

if TYPE_CHECKING:
    from bot.services import Services

log = logging.getLogger(__name__)

# Tags imagebot writes on every copy it makes (the copy job uses these names).
SOURCE_IMAGE_TAG = "imagebot:source-image-id"
SOURCE_REGION_TAG = "imagebot:source-region"

AMI_ID = re.compile(r"ami-(?:[0-9a-f]{8}|[0-9a-f]{17})")
_DIRECTION = r"(?:north|south|east|west|central|northeast|northwest|southeast|southwest)"
REGION_NAME = re.compile(rf"[a-z]{{2,4}}(?:-[a-z]+)*-{_DIRECTION}-\d{{1,2}}")
_SIZE = r"(?:nano|micro|small|medium|large|xlarge|\d+xlarge|metal(?:-\d+xl)?)"
INSTANCE_TYPE = re.compile(rf"(?=[a-z0-9-]*\d)[a-z][a-z0-9]*(?:-[a-z0-9]+)*\.{_SIZE}")
ENABLED = ("opt-in-not-required", "opted-in")

T = TypeVar("T")
# Everything a boto3 call raises for an AWS-side or transport failure (a bug raises something else).
AwsError: TypeAlias = ClientError | BotoCoreError | ResponseParserError
AWS_ERRORS = (ClientError, BotoCoreError, ResponseParserError)

# ------------------------------------------------------------- validation


def validate_ami_id(value: str) -> str:
    """An AMI id, lower-cased, or a CommandError saying what one looks like."""
    ami_id = value.strip().lower()
    if not AMI_ID.fullmatch(ami_id):
        raise CommandError(
            f"`{value}` is not an AMI id. An AMI id is `ami-` and 8 or 17 hex digits, "
            f"like `{PREFIX} ami status ami-0abcdef1234567890`."
        )
    return ami_id


@cache
def known_regions() -> frozenset[str]:
    """Region names in botocore's partition data (aws, aws-cn, aws-us-gov)."""
    session = _session()
    names: set[str] = set()
    for partition in ("aws", "aws-cn", "aws-us-gov"):
        names.update(session.get_available_regions("ec2", partition_name=partition))
    return frozenset(names)


def validate_region(value: str) -> str:
    """A region name: a known one, or one shaped like a region (newer than botocore)."""
    region = value.strip().lower()
    if region in known_regions() or REGION_NAME.fullmatch(region):
        return region
    close = difflib.get_close_matches(region, sorted(known_regions()), n=1, cutoff=0.6)
    hint = f" Did you mean `{close[0]}`?" if close else ""
    raise CommandError(f"`{value}` is not an AWS region name.{hint} Type one like `--region eu-west-1`.")


def validate_regions(value: str) -> list[str]:
    """A comma-separated list of region names (`--regions a,b,c`)."""
    names = [validate_region(n) for n in value.split(",") if n.strip()]
    if not names:
        raise CommandError("Give at least one region, like `--regions eu-west-1,us-west-2`.")
    return list(dict.fromkeys(names))


def validate_instance_type(value: str) -> str:
    """An instance type such as `t3.micro`, `m7g.2xlarge` or `c6in.metal-24xl`."""
    name = value.strip().lower()
    if not INSTANCE_TYPE.fullmatch(name):
        raise CommandError(
            f"`{value}` is not an instance type. Write family and size, like `--type t3.micro` or `--type m7g.large`."
        )
    return name


# ----------------------------------------------------------- error mapping

NOT_FOUND = ("InvalidAMIID.NotFound", "InvalidAMIID.Unavailable")
DENIED = ("UnauthorizedOperation", "AccessDenied", "AccessDeniedException")
THROTTLED = ("RequestLimitExceeded", "Throttling", "ThrottlingException")
BAD_CREDENTIALS = (
    "ExpiredToken",
    "ExpiredTokenException",
    "RequestExpired",
    "AuthFailure",
    "InvalidClientTokenId",
    "UnrecognizedClientException",
    "SignatureDoesNotMatch",
)
_ACTION = re.compile(r"perform:\s*([a-z0-9-]+:[A-Za-z0-9]+)")


def explain(exc: AwsError, region: str = "") -> CommandError:
    """A plain-language CommandError for an AWS failure, saying what to do about it."""
    where = f" in `{region}`" if region else ""
    if isinstance(exc, ClientError):
        return _explain_client_error(exc, where)
    if isinstance(exc, EndpointConnectionError | ConnectTimeoutError | ReadTimeoutError | ConnectionClosedError):
        return CommandError(
            f"I can't reach the EC2 endpoint{where}. Check the network (or `AWS_ENDPOINT_URL`) and try again."
        )
    if isinstance(exc, NoCredentialsError | PartialCredentialsError):
        return CommandError(
            "The bot has no AWS credentials. An operator must give it a role or keys (README: IAM policy)."
        )
    return CommandError(f"The AWS call{where} failed ({type(exc).__name__}). Try again in a minute.")


def _explain_client_error(exc: ClientError, where: str) -> CommandError:
    error = exc.response.get("Error", {})
    code, message = str(error.get("Code", "")), str(error.get("Message", ""))
    if code in NOT_FOUND:
        ids = ", ".join(f"`{i}`" for i in AMI_ID.findall(message)) or "That AMI"
        return CommandError(
            f"{ids} was not found{where}. Check the id, or look everywhere: "
            f"`{PREFIX} ami status <ami-id> --region all`."
        )
    if code == "InvalidAMIID.Malformed":
        return CommandError("That is not a valid AMI id: it is `ami-` and 8 or 17 hex digits.")
    if code in DENIED:
        return CommandError(
            f"The bot is not allowed to call `{denied_action(exc)}`{where}. "
            "Ask an AWS admin to add it to the bot's role (README: IAM policy)."
        )
    if code == "OptInRequired":
        return CommandError(
            f"The region{where.replace(' in', '')} is not enabled for this account (opt-in required). "
            "Enable it under Account → AWS Regions, or leave it out with `--regions`."
        )
    if code in THROTTLED:
        return CommandError(f"AWS is throttling requests{where}, even after retries. Try again in a minute.")
    if code in BAD_CREDENTIALS:
        return CommandError(
            "The bot's AWS credentials are expired or not valid. Ask an operator to refresh them, then try again."
        )
    return CommandError(f"AWS refused the request{where}: {code or 'error'}: {message[:200]}")


def denied_action(exc: ClientError) -> str:
    """The IAM action that was denied: from the message when AWS names it, else the operation."""
    found = _ACTION.search(str(exc.response.get("Error", {}).get("Message", "")))
    return found.group(1) if found else f"ec2:{exc.operation_name}"


@contextmanager
def aws_errors(region: str = "") -> Iterator[None]:
    """Turn AWS exceptions raised inside into plain-language CommandErrors."""
    try:
        yield
    except AWS_ERRORS as exc:
        raise explain(exc, region) from exc


# ------------------------------------------------------------------ images


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
        return {t["Key"]: t.get("Value", "") for t in self.data.get("Tags") or []}

    @property
    def created(self) -> datetime | None:
        return parse_time(self.data.get("CreationDate"))

    @property
    def deprecation(self) -> datetime | None:
        return parse_time(self.data.get("DeprecationTime"))

    @property
    def source_id(self) -> str | None:
        """The image this one was copied from: EC2's SourceImageId, else imagebot's tag."""
        return self.data.get("SourceImageId") or self.tags.get(SOURCE_IMAGE_TAG) or None

    @property
    def source_region(self) -> str | None:
        return self.data.get("SourceImageRegion") or self.tags.get(SOURCE_REGION_TAG) or None


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


def describe_image(services: Services, region: str, ami_id: str) -> Image | None:
    """The AMI with this id in this region, or None when it is not there (or deregistered)."""
    try:
        images = services.ec2(region).describe_images(ImageIds=[ami_id])["Images"]
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in NOT_FOUND:
            return None
        raise explain(exc, region) from exc
    except (BotoCoreError, ResponseParserError) as exc:
        raise explain(exc, region) from exc
    return Image(region, images[0]) if images else None


def find_by_name(services: Services, region: str, pattern: str) -> list[Image]:
    """Owned AMIs whose name matches (a `*` pattern or an exact name), newest first."""
    with aws_errors(region):
        pages = (
            services.ec2(region)
            .get_paginator("describe_images")
            .paginate(Owners=["self"], Filters=[{"Name": "name", "Values": [pattern]}])
        )
        images = [Image(region, data) for page in pages for data in page["Images"]]
    return newest_first(images)


def list_owned(services: Services, region: str) -> list[Image]:
    """Every AMI the account owns in a region (deprecated ones included)."""
    with aws_errors(region):
        pages = services.ec2(region).get_paginator("describe_images").paginate(Owners=["self"], IncludeDeprecated=True)
        return [Image(region, data) for page in pages for data in page["Images"]]


def newest_first(images: Iterable[Image]) -> list[Image]:
    oldest = datetime.min.replace(tzinfo=UTC)
    return sorted(images, key=lambda i: i.created or oldest, reverse=True)


def last_launched(services: Services, image: Image) -> datetime | None:
    """When an instance was last launched from the AMI, if AWS says; None when it can't."""
    if image.data.get("LastLaunchedTime"):
        return parse_time(image.data["LastLaunchedTime"])
    try:
        attr = services.ec2(image.region).describe_image_attribute(ImageId=image.id, Attribute="lastLaunchedTime")
    except AWS_ERRORS as exc:
        log.info("no last launched time", extra={"ami": image.id, "region": image.region, "error": type(exc).__name__})
        return None
    return parse_time((attr.get("LastLaunchedTime") or {}).get("Value"))


# ----------------------------------------------------------------- regions


REGIONS_TTL = 900.0  # seconds the enabled-region list is reused: it changes only when an admin opts a region in
_regions_cache: dict[tuple[str | None, str], tuple[float, list[str]]] = {}
_regions_lock = threading.Lock()


def enabled_regions(services: Services) -> list[str]:
    """Regions enabled for the account, in the default region's partition (cached for REGIONS_TTL)."""
    key = (services.settings.aws_endpoint_url, services.settings.aws_region)
    with _regions_lock:
        cached = _regions_cache.get(key)
    if cached and time.monotonic() - cached[0] < REGIONS_TTL:
        return list(cached[1])
    names = _describe_enabled_regions(services)
    with _regions_lock:
        _regions_cache[key] = (time.monotonic(), names)
    return list(names)


def _describe_enabled_regions(services: Services) -> list[str]:
    home = services.settings.aws_region
    with aws_errors(home):
        regions = services.ec2(home).describe_regions(AllRegions=False)["Regions"]
    partition = _partition(home)
    names = {
        r["RegionName"]
        for r in regions
        if r.get("OptInStatus", "opt-in-not-required") in ENABLED and _partition(r["RegionName"]) == partition
    }
    return sorted(names | {home})


@cache
def _partition(region: str) -> str:
    return _session().get_partition_for_region(region)


@cache
def _session() -> boto3.session.Session:
    """A session only for botocore's partition data (no credentials are read)."""
    return boto3.session.Session()


@dataclass(frozen=True)
class RegionResult:
    """What one region answered: a value, or the CommandError explaining its failure."""

    region: str
    value: Any = None
    error: str | None = None


def fan_out(services: Services, regions: Iterable[str], lookup: Callable[[str], T]) -> list[RegionResult]:
    """Run `lookup(region)` for every region concurrently (bounded pool); one failure never stops the rest."""
    names = list(dict.fromkeys(regions))
    if not names:
        return []
    workers = max(1, min(services.settings.aws_concurrency, len(names)))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="aws") as pool:
        return list(pool.map(lambda region: _guarded(region, lookup), names))


def _guarded(region: str, lookup: Callable[[str], T]) -> RegionResult:
    try:
        return RegionResult(region, value=lookup(region))
    except CommandError as exc:
        return RegionResult(region, error=exc.message)
    except AWS_ERRORS as exc:
        return RegionResult(region, error=explain(exc, region).message)


# ------------------------------------------------------------------ copies

SOURCE, ORIGINAL, COPY, SAME_NAME = "source", "original", "copy", "same name"


@dataclass(frozen=True)
class Copy:
    image: Image
    kind: str  # SOURCE (the AMI asked about), ORIGINAL (what it was copied from), COPY or SAME_NAME
    via: str | None = None  # for a copy of a copy: the copy it was made from


@dataclass
class CopyReport:
    """The copies of one AMI across regions, with the regions that failed or lack one."""

    source: Image
    regions: list[str]
    copies: dict[str, list[Copy]] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    expected: list[str] = field(default_factory=list)

    @property
    def missing(self) -> list[str]:
        return [r for r in self.expected if r in self.regions and not self.copies.get(r) and r not in self.errors]

    @property
    def empty(self) -> list[str]:
        """Regions looked in that answered and hold no copy."""
        return [r for r in self.regions if not self.copies.get(r) and r not in self.errors]


def find_copies(
    services: Services, ami_id: str, region: str | None = None, regions: list[str] | None = None
) -> CopyReport:
    """Find an AMI's copies in every enabled region (or the given ones), concurrently.

    The source AMI is described while the regions are listed, so with the
    region list cached the whole look-up is one round of concurrent calls.
    """
    home = region or services.settings.aws_region
    expected = services.settings.expected_region_list
    found = enabled_regions(services) + expected if regions is None else regions
    names = sorted({*found, home})
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="aws-source") as pool:
        source_lookup = pool.submit(describe_image, services, home, ami_id)
        results = fan_out(services, names, lambda r: list_owned(services, r))
        source = source_lookup.result()
    if source is None:
        raise CommandError(
            f"`{ami_id}` was not found in `{home}`. Give the region it lives in: "
            f"`{PREFIX} ami copies {ami_id} --region eu-west-1`, or find it with "
            f"`{PREFIX} ami status {ami_id} --region all`."
        )
    report = CopyReport(source, names, expected=expected)
    report.errors = {r.region: r.error for r in results if r.error}
    images = [source, *(image for r in results if r.value for image in r.value)]
    report.copies = group_copies(source, images)
    return report


def group_copies(source: Image, images: Iterable[Image]) -> dict[str, list[Copy]]:
    """Copies of `source` by region: its copy family (copies of copies too), then same-name images."""
    by_id = {i.id: i for i in images}
    by_id[source.id] = source
    family = copy_family(source.id, by_id.values())
    originals = ancestors(source, by_id)
    out: dict[str, list[Copy]] = {}
    for image in newest_first(by_id.values()):
        kind = ORIGINAL if image.id in originals else _kind_of(image, source, family)
        if kind:
            via = image.source_id if kind == COPY and image.source_id != source.id else None
            out.setdefault(image.region, []).append(Copy(image, kind, via))
    return out


def _kind_of(image: Image, source: Image, family: set[str]) -> str | None:
    if image.id == source.id:
        return SOURCE
    if image.id in family:
        return COPY
    if source.name and image.name == source.name:
        return SAME_NAME
    return None


def ancestors(image: Image, by_id: dict[str, Image]) -> set[str]:
    """The ids this AMI was copied from, following copies of copies back to the original."""
    found: set[str] = set()
    current: Image | None = image
    while current is not None and current.source_id and current.source_id not in found:
        found.add(current.source_id)
        current = by_id.get(current.source_id)
    return found


def copy_family(start: str, images: Iterable[Image]) -> set[str]:
    """Every AMI id linked to `start` by copy links, in either direction (copies of copies included)."""
    links: dict[str, set[str]] = {}
    for image in images:
        if image.source_id:
            links.setdefault(image.id, set()).add(image.source_id)
            links.setdefault(image.source_id, set()).add(image.id)
    family, todo = {start}, [start]
    while todo:
        for other in links.get(todo.pop(), ()):
            if other not in family:
                family.add(other)
                todo.append(other)
    return family


# ------------------------------------------------------------ copy, launch


def copy_image(services: Services, source: Image, region: str, name: str, token: str) -> str:
    """Start copying `source` into `region`; returns the new AMI id (idempotent per `token`).

    The source tags go in `TagSpecifications` (what the IAM policy allows) and
    EC2 copies the source's own tags too (`CopyImageTags`).
    """
    tags = source_tags(source)
    with aws_errors(region):
        answer = services.ec2(region).copy_image(
            SourceImageId=source.id,
            SourceRegion=source.region,
            Name=name,
            ClientToken=token,
            CopyImageTags=True,
            TagSpecifications=[{"ResourceType": "image", "Tags": tag_list(tags)}],
        )
    return str(answer["ImageId"])


def source_tags(source: Image) -> dict[str, str]:
    return {SOURCE_IMAGE_TAG: source.id, SOURCE_REGION_TAG: source.region}


def ensure_tags(services: Services, region: str, resource_id: str, have: dict[str, str], want: dict[str, str]) -> None:
    """Write the tags in `want` that `have` lacks (for endpoints that ignored TagSpecifications)."""
    missing = {k: v for k, v in want.items() if have.get(k) != v}
    if missing:
        with aws_errors(region):
            services.ec2(region).create_tags(Resources=[resource_id], Tags=tag_list(missing))


def tag_list(tags: dict[str, str]) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in tags.items()]


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


def dry_run_launch(services: Services, region: str, params: dict[str, Any]) -> None:
    """`run_instances(DryRun=True)`: returns when EC2 says it would succeed, else a clear refusal."""
    try:
        services.ec2(region).run_instances(DryRun=True, **params)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "DryRunOperation":
            return
        reason = explain(exc, region).message
        raise DryRunRefused(f"Nothing was started: the launch check (DryRun) failed. {reason}") from exc
    except (BotoCoreError, ResponseParserError) as exc:
        raise explain(exc, region) from exc
    # an endpoint that ignores DryRun would have started an instance: never treat that as fine
    raise DryRunRefused(f"The EC2 endpoint in `{region}` ignored DryRun; refusing to launch through it.")


def run_instance(services: Services, region: str, params: dict[str, Any], token: str) -> dict[str, Any]:
    """Start one instance; the same `token` never starts a second one (EC2 idempotency)."""
    with aws_errors(region):
        answer = services.ec2(region).run_instances(ClientToken=token, **params)
    return dict(answer["Instances"][0])


def find_instance_by_tag(services: Services, region: str, key: str, value: str) -> dict[str, Any] | None:
    """A live (not terminated) instance carrying the tag `key`=`value`, if any."""
    filters = [
        {"Name": f"tag:{key}", "Values": [value]},
        {"Name": "instance-state-name", "Values": ["pending", "running", "stopping", "stopped"]},
    ]
    with aws_errors(region):
        reservations = services.ec2(region).describe_instances(Filters=filters)["Reservations"]
    found = [i for r in reservations for i in r["Instances"]]
    return dict(found[0]) if found else None


def describe_instance(services: Services, region: str, instance_id: str) -> dict[str, Any] | None:
    try:
        reservations = services.ec2(region).describe_instances(InstanceIds=[instance_id])["Reservations"]
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "InvalidInstanceID.NotFound":
            return None  # eventual consistency right after run_instances
        raise explain(exc, region) from exc
    except (BotoCoreError, ResponseParserError) as exc:
        raise explain(exc, region) from exc
    found = [i for r in reservations for i in r["Instances"]]
    return dict(found[0]) if found else None
