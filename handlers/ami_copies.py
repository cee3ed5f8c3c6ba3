"""`/image ami copies`: where an AMI has copies, region by region, and the expected regions missing one."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from bot.aws.copies import COPY, ORIGINAL, SAME_NAME, SOURCE, Copy, CopyReport, find_copies
from bot.aws.images import validate_ami_id
from bot.aws.regions import validate_region, validate_regions
from bot.core.command import PREFIX, Command
from bot.core.formatting import when_text
from bot.core.needs import Need
from bot.core.parts import Fields, Footer, Header, Part
from bot.core.reply import Reply
from bot.framework.context import Context
from bot.framework.options import Text as TextOption
from bot.framework.subcommand import subcommand
from handlers.shared.ami import STATE_ICON, image_json, is_id_target, resolve_ami


def region_list(value: str) -> str:
    """`--regions a,b,c`: region names, checked and without repeats."""
    return ",".join(validate_regions(value))


@subcommand(
    "ami copies",
    example=f"{PREFIX} ami copies ami-0abcdef1234567890",
    forms=("<ami-id | name>",),
    options={
        "regions": TextOption(convert=region_list, metavar="a,b,c"),
        "region": TextOption(convert=validate_region),
    },
    slow=True,
    needs=(Need.AWS,),
)
def ami_copies(ctx: Context, cmd: Command) -> Reply:
    """List an AMI's copies (by id or name) in every enabled region, and the expected regions missing one."""
    home = cmd.option("region") or ctx.settings.aws_region
    target = cmd.args[0]
    # an id is looked up with the copies (one round of calls); a name first becomes the newest AMI of that name
    ami_id = validate_ami_id(target) if is_id_target(target) else resolve_ami(ctx, target, home).id
    given = cmd.option("regions")
    regions = given.split(",") if given is not None else None
    started = time.monotonic()
    report = find_copies(ctx.services.aws, ami_id, home, regions)
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
        SOURCE: " · _this AMI_",
        ORIGINAL: " · _original_",
        SAME_NAME: " · _same name_ (not linked by copy)",
    }.get(copy.kind, f" · _copy of `{copy.via}`_" if copy.via else "")
    created = when_text(image.created, now, date_only=True)
    return f"`{image.id}` · {STATE_ICON.get(image.state, ':warning:')} {image.state} · {created}{note}"


def _copies_summary(report: CopyReport, seconds: float) -> str:
    count = sum(1 for cs in report.copies.values() for c in cs if c.kind == COPY)
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
