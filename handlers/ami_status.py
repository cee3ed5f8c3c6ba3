"""`/image ami status`: one AMI at a glance (by id or name, in one region or all), for on-call."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bot.aws.images import Image, describe_image, find_by_name, last_launched, newest_first, validate_ami_id
from bot.aws.regions import RegionResult, fan_out
from bot.aws.usage import region_usage
from bot.core.command import PREFIX, Command
from bot.core.errors import CommandError
from bot.core.formatting import when_text
from bot.core.markup import Mrkdwn, md
from bot.core.needs import Need
from bot.core.parts import Fields, Footer, Header, Part, Text
from bot.core.reply import Reply
from bot.core.text import echo
from bot.framework.context import Context
from bot.framework.options import Text as TextOption
from bot.framework.subcommand import subcommand
from handlers.shared.ami import (
    deprecation_text,
    form_buttons,
    image_json,
    is_id_target,
    state_text,
    tags_text,
    usage_line,
)
from handlers.shared.regions import region_or_all, regions_for

MAX_LISTED = 20


@subcommand(
    "ami status",
    example=f"{PREFIX} ami status web-base-2026.11.20",
    forms=("<ami-id | name>",),
    options={"region": TextOption(convert=region_or_all, metavar="R|all")},
    slow=True,
    needs=(Need.AWS,),
)
def ami_status(ctx: Context, cmd: Command) -> Reply:
    """Show an AMI at a glance: state, age, platform, devices, deprecation, tags."""
    target = cmd.args[0].strip()
    regions = regions_for(ctx, cmd.option("region"))
    by_id = is_id_target(target)
    if by_id:
        target = validate_ami_id(target)
    results = _look_up(ctx, target, by_id, regions)
    images = newest_first(i for r in results if r.value for i in r.value)
    errors = [r for r in results if r.error]
    if not images:
        _raise_not_found(target, by_id, regions, errors)
    newest = images[0]
    parts = status_parts(newest, last_launched(ctx.services.aws, newest), usage=usage_summary(ctx, newest))
    parts += form_buttons(ctx, newest)
    if len(images) > 1:
        parts += matches_parts(images)
    parts += _error_footer(errors)
    return Reply(parts=parts, data={"images": [image_json(i) for i in images]})


def _look_up(ctx: Context, target: str, by_id: bool, regions: list[str]) -> list[RegionResult]:
    def one(region: str) -> list[Image]:
        if by_id:
            image = describe_image(ctx.services.aws, region, target)
            return [image] if image else []
        return find_by_name(ctx.services.aws, region, target)

    if len(regions) == 1:  # one region: its error is the answer
        return [RegionResult(regions[0], value=one(regions[0]))]
    return fan_out(ctx.services.aws, regions, one)


def _raise_not_found(target: str, by_id: bool, regions: list[str], errors: list[RegionResult]) -> None:
    where = f"`{regions[0]}`" if len(regions) == 1 else f"any of {len(regions)} enabled regions"
    what = f"`{target}`" if by_id else f"No AMI you own named `{echo(target)}`"
    failed = f" ({len(errors)} regions could not be searched: {errors[0].error})" if errors else ""
    tip = (
        (
            f"Look everywhere: `{PREFIX} ami status {target} --region all`."
            if by_id
            else "Look everywhere: add `--region all`."
        )
        if len(regions) == 1
        else "Check the id or name; `*` matches any characters, like `web-base-*`."
    )
    found = "was not found in" if by_id else "in"
    raise CommandError(f"{what} {found} {where}: it does not exist or was deregistered{failed}. {tip}")


def usage_summary(ctx: Context, image: Image) -> Mrkdwn:
    """One line: what uses the AMI in its own region; a failed look-up says so and the status still answers."""
    try:
        usage = region_usage(ctx.services.aws, image.region, [image.id])
    except CommandError as exc:
        return md("Usage in `{}` could not be looked up ({}).", image.region, exc.message)
    return usage_line(usage)


def status_parts(
    image: Image, launched: datetime | None, now: datetime | None = None, usage: Mrkdwn | None = None
) -> list[Part]:
    """The at-a-glance view of one AMI (with `usage`, the one-line summary of what uses it)."""
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
    details = md("Details: `{} ami usage {} --region {}`", PREFIX, image.id, image.region)
    parts.append(Footer(usage + Mrkdwn(" ") + details if usage else md("What still uses it: {}", details)))
    return parts


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
