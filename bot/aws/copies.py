"""Region copies of an AMI: finding them across regions (copies of copies too) and making one."""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from bot.aws.clients import AwsClients
from bot.aws.errors import aws_errors
from bot.aws.images import (
    SOURCE_IMAGE_TAG,
    SOURCE_REGION_TAG,
    Image,
    describe_image,
    list_owned,
    newest_first,
    tag_list,
)
from bot.aws.regions import RegionResult, enabled_regions, fan_out
from bot.core.command import PREFIX
from bot.core.errors import CommandError

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
    clients: AwsClients, ami_id: str, region: str | None = None, regions: list[str] | None = None
) -> CopyReport:
    """Find an AMI's copies in every enabled region (or the given ones), concurrently.

    The source AMI is described while the regions are listed, so with the
    region list cached the whole look-up is one round of concurrent calls.
    """
    home = region or clients.settings.aws_region
    expected = clients.settings.expected_region_list
    found = enabled_regions(clients) + expected if regions is None else regions
    names = sorted({*found, home})
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="aws-source") as pool:
        source_lookup = pool.submit(describe_image, clients, home, ami_id)
        results = fan_out(clients, names, lambda r: list_owned(clients, r))
        source = source_lookup.result()
    if source is None:
        raise CommandError(_not_found(ami_id, home, results))
    report = CopyReport(source, names, expected=expected)
    report.errors = {r.region: r.error for r in results if r.error}
    images = [source, *(image for r in results if r.value for image in r.value)]
    report.copies = group_copies(source, images)
    return report


def _not_found(ami_id: str, home: str, results: list[RegionResult]) -> str:
    """Not in the region asked about: name the regions the listing found it in, never a made-up one."""
    hits = [r.region for r in results if r.value and any(i.id == ami_id for i in r.value)]
    if hits:
        tries = " or ".join(f"`{PREFIX} ami copies {ami_id} --region {r}`" for r in hits[:3])
        return f"`{ami_id}` is not in `{home}`; it is in {', '.join(f'`{r}`' for r in hits[:3])}. Try {tries}."
    return (
        f"`{ami_id}` was not found in `{home}`, nor among the AMIs this account owns in the other "
        f"{len(results) - 1} regions I looked in. Check the id, or search with "
        f"`{PREFIX} ami status {ami_id} --region all`."
    )


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


def copy_image(clients: AwsClients, source: Image, region: str, name: str, token: str) -> str:
    """Start copying `source` into `region`; returns the new AMI id (idempotent per `token`).

    The source tags go in `TagSpecifications` (what the IAM policy allows) and
    EC2 copies the source's own tags too (`CopyImageTags`).
    """
    tags = source_tags(source)
    with aws_errors(region):
        answer = clients.ec2(region).copy_image(
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


def ensure_tags(clients: AwsClients, region: str, resource_id: str, have: dict[str, str], want: dict[str, str]) -> None:
    """Write the tags in `want` that `have` lacks (for endpoints that ignored TagSpecifications)."""
    missing = {k: v for k, v in want.items() if have.get(k) != v}
    if missing:
        with aws_errors(region):
            clients.ec2(region).create_tags(Resources=[resource_id], Tags=tag_list(missing))
