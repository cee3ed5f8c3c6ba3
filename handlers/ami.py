"""`/image ami status` and `/image ami copies`: AMI look-ups for on-call, over boto3."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from bot import aws
from bot.aws import Copy, CopyReport, Image, RegionResult
from bot.commands import PREFIX, Command, Context, subcommand
from bot.errors import CommandError
from bot.reply import Context as Footer
from bot.reply import Fields, Header, Part, Reply, Text

MAX_LISTED = 20
STATE_ICON = {"available": ":white_check_mark:", "pending": ":hourglass_flowing_sand:", "failed": ":x:"}


# ------------------------------------------------------------------ status


@subcommand(
    "ami status",
    usage=f"{PREFIX} ami status <ami-id | name> [--region R | --region all]",
    example=f"{PREFIX} ami status web-base-2026.11.20",
    options=("region",),
    min_args=1,
    max_args=1,
    slow=True,
)
def ami_status(ctx: Context, cmd: Command) -> Reply:
    """Show an AMI at a glance: state, age, platform, devices, deprecation, tags."""
    target = cmd.args[0].strip()
    regions = _status_regions(ctx, cmd.option("region"))
    by_id = target.lower().startswith("ami-")
    if by_id:
        target = aws.validate_ami_id(target)
    results = _look_up(ctx, target, by_id, regions)
    images = aws.newest_first(i for r in results if r.value for i in r.value)
    errors = [r for r in results if r.error]
    if not images:
        _raise_not_found(target, by_id, regions, errors)
    newest = images[0]
    parts = status_parts(newest, aws.last_launched(ctx.services, newest))
    if len(images) > 1:
        parts += matches_parts(images)
    parts += _error_footer(errors)
    return Reply(parts=parts, data={"images": [image_json(i) for i in images]})


def _status_regions(ctx: Context, option: str | None) -> list[str]:
    """The regions to look in: `--region R`, every enabled one for `all`, else the default."""
    if option and option.strip().lower() == "all":
        return aws.enabled_regions(ctx.services)
    return [aws.validate_region(option or ctx.settings.aws_region)]


def _look_up(ctx: Context, target: str, by_id: bool, regions: list[str]) -> list[RegionResult]:
    def one(region: str) -> list[Image]:
        if by_id:
            image = aws.describe_image(ctx.services, region, target)
            return [image] if image else []
        return aws.find_by_name(ctx.services, region, target)

    if len(regions) == 1:  # one region: its error is the answer
        return [RegionResult(regions[0], value=one(regions[0]))]
    return aws.fan_out(ctx.services, regions, one)


def _raise_not_found(target: str, by_id: bool, regions: list[str], errors: list[RegionResult]) -> None:
    where = f"`{regions[0]}`" if len(regions) == 1 else f"any of {len(regions)} enabled regions"
    what = f"`{target}`" if by_id else f"No AMI you own named `{target}`"
    failed = f" ({len(errors)} regions could not be searched: {errors[0].error})" if errors else ""
    tip = (
        f"Look everywhere: `{PREFIX} ami status {target} --region all`."
        if len(regions) == 1
        else "Check the id or name; `*` matches any characters, like `web-base-*`."
    )
    found = "was not found in" if by_id else "in"
    raise CommandError(f"{what} {found} {where}: it does not exist or was deregistered{failed}. {tip}")


def status_parts(image: Image, launched: datetime | None, now: datetime | None = None) -> list[Part]:
    """The at-a-glance view of one AMI."""
    now = now or datetime.now(UTC)
    d = image.data
    pairs = [
        ("Name", image.name or "—"),
        ("AMI id", f"`{image.id}`"),
        ("Region", f"`{image.region}`"),
        ("State", state_text(image)),
        ("Owner", _owner(d)),
        ("Created", when_text(image.created, now)),
        ("Architecture", str(d.get("Architecture") or "—")),
        ("Platform", str(d.get("PlatformDetails") or (d.get("Platform") or "").title() or "—")),
        ("Boot mode", str(d.get("BootMode") or "—")),
        ("Root device", f"`{d.get('RootDeviceName') or '—'}` ({d.get('RootDeviceType') or '—'})"),
        ("Visibility", "public" if d.get("Public") else "private"),
        ("Deprecation", deprecation_text(image.deprecation, now)),
        ("Last launched", when_text(launched, now) if launched else "not reported by AWS"),
        ("Copied from", _source_text(image)),
    ]
    parts: list[Part] = [Header(f"AMI {image.name or image.id}"), Fields(tuple(pairs))]
    parts.append(Text("*Block devices*\n" + devices_text(d.get("BlockDeviceMappings") or [])))
    parts.append(Text("*Tags*\n" + tags_text(image.tags)))
    parts.append(Footer(f"Copies in other regions: `{PREFIX} ami copies {image.id} --region {image.region}`"))
    return parts


def state_text(image: Image) -> str:
    icon = STATE_ICON.get(image.state, ":warning:")
    reason = image.data.get("StateReason") or {}
    if image.state == "pending":
        return f"{icon} pending: still being created, check again in a few minutes"
    if image.state == "failed":
        return f"{icon} failed: {reason.get('Message') or reason.get('Code') or 'no reason given'}"
    return f"{icon} {image.state}"


def _owner(data: dict[str, Any]) -> str:
    alias = data.get("ImageOwnerAlias")
    return f"{data.get('OwnerId', '—')}" + (f" ({alias})" if alias else "")


def _source_text(image: Image) -> str:
    if not image.source_id:
        return "— (not a copy)"
    return f"`{image.source_id}` in `{image.source_region or '?'}`"


def devices_text(mappings: list[dict[str, Any]]) -> str:
    """One line per block device mapping: device, snapshot, size, type, encryption."""
    lines = []
    for m in mappings:
        ebs = m.get("Ebs")
        if ebs is None:
            lines.append(f"`{m.get('DeviceName', '?')}` {m.get('VirtualName') or 'no device'}")
            continue
        bits = [f"`{ebs.get('SnapshotId') or 'no snapshot'}`", f"{ebs.get('VolumeSize', '?')} GiB"]
        bits += [str(ebs["VolumeType"])] if ebs.get("VolumeType") else []
        bits += ["encrypted"] if ebs.get("Encrypted") else []
        lines.append(f"`{m.get('DeviceName', '?')}` " + " · ".join(bits))
    return "\n".join(lines) or "none"


def tags_text(tags: dict[str, str]) -> str:
    return ", ".join(f"`{k}`=`{v}`" for k, v in sorted(tags.items())) or "none"


def matches_parts(images: list[Image]) -> list[Part]:
    """Every match of a name or pattern, newest first (the one shown above is the first)."""
    now = datetime.now(UTC)
    lines = [
        f"`{i.region}` `{i.id}` {i.name} · {i.state} · {when_text(i.created, now, date_only=True)}"
        for i in images[:MAX_LISTED]
    ]
    more = f"\n…and {len(images) - MAX_LISTED} more" if len(images) > MAX_LISTED else ""
    return [
        Text(f"*{len(images)} AMIs match; the newest is shown above*\n" + "\n".join(lines) + more),
        Footer(f"Show one: `{PREFIX} ami status <ami-id> --region <region>`"),
    ]


def _error_footer(errors: list[RegionResult]) -> list[Part]:
    if not errors:
        return []
    return [Footer("Could not look in: " + "; ".join(f"`{e.region}`: {e.error}" for e in errors[:5]))]


# ------------------------------------------------------------------ copies


@subcommand(
    "ami copies",
    usage=f"{PREFIX} ami copies <ami-id> [--regions a,b,c] [--region R]",
    example=f"{PREFIX} ami copies ami-0abcdef1234567890",
    options=("regions", "region"),
    min_args=1,
    max_args=1,
    slow=True,
)
def ami_copies(ctx: Context, cmd: Command) -> Reply:
    """List an AMI's copies in every enabled region, and the expected regions missing one."""
    ami_id = aws.validate_ami_id(cmd.args[0])
    home = aws.validate_region(cmd.option("region") or ctx.settings.aws_region)
    given = cmd.option("regions")
    regions = aws.validate_regions(given) if given is not None else None
    started = time.monotonic()
    report = aws.find_copies(ctx.services, ami_id, home, regions)
    return copies_reply(report, time.monotonic() - started)


def copies_reply(report: CopyReport, seconds: float, now: datetime | None = None) -> Reply:
    """One row per region with a copy, a failure, or a missing expected copy."""
    now = now or datetime.now(UTC)
    rows = [(r, "\n".join(copy_line(c, now) for c in report.copies[r])) for r in _copy_regions(report)]
    rows += [(r, f":warning: {report.errors[r]}") for r in sorted(report.errors)]
    rows += [(r, ":x: missing: no copy in this expected region") for r in report.missing]
    src = report.source
    parts: list[Part] = [Header(f"Copies of {src.name or src.id}"), Fields(tuple(rows))]
    parts.append(Footer(_copies_summary(report, seconds)))
    return Reply(parts=parts, data=copies_json(report))


def _copy_regions(report: CopyReport) -> list[str]:
    home = report.source.region
    return sorted(report.copies, key=lambda r: (r != home, r))


def copy_line(copy: Copy, now: datetime) -> str:
    image = copy.image
    note = {
        aws.SOURCE: " · _this AMI_",
        aws.ORIGINAL: " · _original_",
        aws.SAME_NAME: " · _same name_ (not linked by copy)",
    }.get(copy.kind, f" · _copy of `{copy.via}`_" if copy.via else "")
    created = when_text(image.created, now, date_only=True)
    return f"`{image.id}` · {STATE_ICON.get(image.state, ':warning:')} {image.state} · {created}{note}"


def _copies_summary(report: CopyReport, seconds: float) -> str:
    count = sum(1 for cs in report.copies.values() for c in cs if c.kind == aws.COPY)
    bits = [f"{count} {'copy' if count == 1 else 'copies'} of `{report.source.id}` ({report.source.region})"]
    if report.missing:
        bits.append(f"missing in {len(report.missing)} expected regions")
    if report.errors:
        bits.append(f"{len(report.errors)} regions failed")
    if report.empty:
        bits.append(f"no copy in {len(report.empty)} other regions")
    return " · ".join(bits) + f". Looked in {len(report.regions)} regions in {seconds:.1f} s."


def copies_json(report: CopyReport) -> dict[str, Any]:
    return {
        "source": image_json(report.source),
        "copies": {
            r: [{**image_json(c.image), "kind": c.kind, "via": c.via} for c in cs] for r, cs in report.copies.items()
        },
        "errors": report.errors,
        "missing": report.missing,
        "regions": report.regions,
    }


# ------------------------------------------------------------------ shared


def image_json(image: Image) -> dict[str, Any]:
    created = image.created
    return {
        "id": image.id,
        "name": image.name,
        "region": image.region,
        "state": image.state,
        "created": created.isoformat() if created else None,
    }


def when_text(when: datetime | None, now: datetime, date_only: bool = False) -> str:
    """`2026-11-20 10:00 UTC (3 days ago)`, or `—` when unknown."""
    if when is None:
        return "—"
    stamp = when.strftime("%Y-%m-%d" if date_only else "%Y-%m-%d %H:%M UTC")
    return f"{stamp} ({age(when, now)})"


def deprecation_text(when: datetime | None, now: datetime) -> str:
    if when is None:
        return "not set"
    if when <= now:
        return f":warning: deprecated since {when_text(when, now)}"
    return f"will be deprecated {when_text(when, now)}"


UNITS = (("year", 365 * 86400), ("month", 30 * 86400), ("day", 86400), ("hour", 3600), ("minute", 60))


def age(when: datetime, now: datetime) -> str:
    """How long ago (or how far ahead) a moment is: `3 days ago`, `in 2 months`, `just now`."""
    seconds = (now - when).total_seconds()
    span = abs(seconds)
    for unit, size in UNITS:
        if span >= size:
            n = int(span // size)
            text = f"{n} {unit}{'' if n == 1 else 's'}"
            return f"{text} ago" if seconds >= 0 else f"in {text}"
    return "just now"
