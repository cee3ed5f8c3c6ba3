"""Regions: validating their names, the account's enabled ones, and asking many of them at once."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any, TypeVar

from bot.aws.clients import AwsClients
from bot.aws.errors import aws_error_types, aws_errors, explain, param_validation_error
from bot.core.errors import CommandError
from bot.core.formatting import closest, did_you_mean
from bot.core.text import echo

_DIRECTION = r"(?:north|south|east|west|central|northeast|northwest|southeast|southwest)"
REGION_NAME = re.compile(rf"[a-z]{{2,4}}(?:-[a-z]+)*-{_DIRECTION}-\d{{1,2}}")
ENABLED = ("opt-in-not-required", "opted-in")

T = TypeVar("T")

if TYPE_CHECKING:  # boto3 is imported on first use (bot.aws.clients)
    import boto3


@cache
def _session() -> boto3.session.Session:
    """A session only for botocore's partition data (no credentials are read)."""
    import boto3

    return boto3.session.Session()


@cache
def known_regions() -> frozenset[str]:
    """Region names in botocore's partition data (aws, aws-cn, aws-us-gov)."""
    names: set[str] = set()
    for partition in ("aws", "aws-cn", "aws-us-gov"):
        names.update(_session().get_available_regions("ec2", partition_name=partition))
    return frozenset(names)


@cache
def _partition(region: str) -> str:
    return _session().get_partition_for_region(region)


def validate_region(value: str) -> str:
    """A region name from botocore's list, checked before any AWS call; else the nearest name to type instead."""
    region = value.strip().lower()
    if region in known_regions():
        return region
    hint = did_you_mean(closest(region, sorted(known_regions()), n=1))
    if not hint and REGION_NAME.fullmatch(region):
        hint = did_you_mean(closest(region, sorted(known_regions()), n=1, cutoff=0.0))
    raise CommandError(f"`{echo(value)}` is not an AWS region.{hint or ' AWS regions look like `eu-west-1`.'}")


def validate_regions(value: str) -> list[str]:
    """A comma-separated list of region names (`--regions a,b,c`)."""
    names = [validate_region(n) for n in value.split(",") if n.strip()]
    if not names:
        raise CommandError("Give at least one region, like `--regions eu-west-1,us-west-2`.")
    return list(dict.fromkeys(names))


def enabled_regions(clients: AwsClients) -> list[str]:
    """Regions enabled for the account, in the default region's partition (cached by `clients.regions`)."""
    cached = clients.regions.get()
    if cached is not None:
        return cached
    names = _describe_enabled_regions(clients)
    clients.regions.put(names)
    return list(names)


def _describe_enabled_regions(clients: AwsClients) -> list[str]:
    home = clients.settings.aws_region
    with aws_errors(home):
        regions = clients.ec2(home).describe_regions(AllRegions=False)["Regions"]
    partition = _partition(home)
    names = {
        r["RegionName"]
        for r in regions
        if r.get("OptInStatus", "opt-in-not-required") in ENABLED and _partition(r["RegionName"]) == partition
    }
    return sorted(names | {home})


@dataclass(frozen=True)
class RegionResult:
    """What one region answered: a value, or the message explaining its failure."""

    region: str
    value: Any = None
    error: str | None = None


def fan_out(clients: AwsClients, regions: Iterable[str], lookup: Callable[[str], T]) -> list[RegionResult]:
    """Run `lookup(region)` for every region concurrently (bounded pool); one failure never stops the rest."""
    names = list(dict.fromkeys(regions))
    if not names:
        return []
    workers = max(1, min(clients.settings.aws_concurrency, len(names)))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="aws") as pool:
        return list(pool.map(lambda region: _guarded(region, lookup), names))


def _guarded(region: str, lookup: Callable[[str], T]) -> RegionResult:
    try:
        return RegionResult(region, value=lookup(region))
    except CommandError as exc:
        return RegionResult(region, error=exc.message)
    except param_validation_error():
        raise  # our bug, not the region's failure
    except aws_error_types() as exc:
        return RegionResult(region, error=explain(exc, region).message)
