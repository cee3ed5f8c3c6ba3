"""`/image ami usage`: what still uses an AMI (instances, launch templates, Auto Scaling groups), region by region."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bot.aws.images import Image, describe_image, find_by_name, validate_ami_id
from bot.aws.regions import RegionResult, fan_out
from bot.aws.usage import RegionUsage, region_usage
from bot.core.command import PREFIX, Command
from bot.core.durations import duration_text
from bot.core.errors import CommandError
from bot.core.formatting import when_text
from bot.core.markup import Mrkdwn, md
from bot.core.needs import Need
from bot.core.parts import Footer, Header, Part, Text
from bot.core.reply import Reply
from bot.core.text import echo
from bot.framework.context import Context
from bot.framework.options import Text as TextOption
from bot.framework.subcommand import subcommand
from handlers.shared.ami import is_id_target, plural
from handlers.shared.instances import state_text
from handlers.shared.regions import region_or_all, regions_for

MAX_PER_KIND = 15


@dataclass(frozen=True)
class Found:
    """One region's answer: the AMIs by that id or name there, and what uses them."""

    images: list[Image]
    usage: RegionUsage


@subcommand(
    "ami usage",
    example=f"{PREFIX} ami usage web-base-2026.11.20 --region all",
    forms=("<ami-id | name>",),
    options={"region": TextOption(convert=region_or_all, metavar="R|all")},
    slow=True,
    needs=(Need.AWS,),
)
def ami_usage(ctx: Context, cmd: Command) -> Reply:
    """Show what still uses an AMI: instances, launch templates and Auto Scaling groups."""
    target = cmd.args[0].strip()
    by_id = is_id_target(target)
    if by_id:
        target = validate_ami_id(target)
    regions = regions_for(ctx, cmd.option("region"))
    started = time.monotonic()
    results = look_up(ctx, target, by_id, regions)
    if not by_id and not any(r.value and r.value.images for r in results):
        where = f"`{regions[0]}`" if len(regions) == 1 else f"any of {len(regions)} enabled regions"
        raise CommandError(
            f"No AMI you own is named `{echo(target)}` in {where}. Give its id, or add `--region all` to look "
            "in every enabled region."
        )
    max_age = ctx.services.policy.guardrails.ami.max_age
    return usage_reply(target, results, time.monotonic() - started, datetime.now(UTC), max_age)


def look_up(ctx: Context, target: str, by_id: bool, regions: list[str]) -> list[RegionResult]:
    """Each region's AMIs (by id or name) and their usage; an id is searched for even where the AMI is gone."""
    clients = ctx.services.aws

    def one(region: str) -> Found:
        if by_id:
            image = describe_image(clients, region, target)
            images, ids = ([image] if image else []), [target]
        else:
            images = find_by_name(clients, region, target)
            ids = [i.id for i in images]
        return Found(images, region_usage(clients, region, ids) if ids else RegionUsage(region))

    if len(regions) == 1:  # one region: its error is the answer
        return [RegionResult(regions[0], value=one(regions[0]))]
    return fan_out(clients, regions, one)


def usage_reply(target: str, results: list[RegionResult], seconds: float, now: datetime, max_age: int = 0) -> Reply:
    """Deprecation and age (older than the policy's `guardrails.ami.max_age`) first, then the counts, then details."""
    found: list[Found] = [r.value for r in results if r.value]
    images = [i for f in found for i in f.images]
    used = [f.usage for f in found if not f.usage.empty]
    parts: list[Part] = [Header(f"Usage of {target}")]
    parts += [
        Text(md(":warning: `{}` in `{}` is deprecated since {}.", i.id, i.region, when_text(i.deprecation, now)))
        for i in images
        if i.deprecated(now)
    ]
    parts += [Text(text) for i in images if (text := age_warning(i, now, max_age))]
    if not images:
        parts.append(
            Text(
                md(
                    "`{}` itself was not found (deregistered, or in another region); references to it were "
                    "still searched.",
                    target,
                )
            )
        )
    parts.append(Text(counts_text(target, used, len(results))))
    parts += [Text(region_text(u, now)) for u in used]
    errors = [r for r in results if r.error]
    parts.append(Footer(md("Looked in {} regions in {} s.", len(results), f"{seconds:.1f}")))
    if errors:
        parts.append(Footer(md("Could not look in: {}", "; ".join(f"{e.region}: {e.error}" for e in errors[:5]))))
    return Reply(parts=parts, data=usage_json(images, used, errors))


def age_warning(image: Image, now: datetime, max_age: int) -> Mrkdwn | None:
    """`:warning: … is 200 days old, older than the policy's 180d`, or None (young enough, no limit, no date)."""
    created = image.created
    if not max_age or created is None or (now - created).total_seconds() <= max_age:
        return None
    return md(
        ":warning: `{}` in `{}` is {} days old (created {}), older than the policy's {} (`guardrails.ami.max_age`).",
        image.id,
        image.region,
        (now - created).days,
        created.strftime("%Y-%m-%d"),
        duration_text(max_age),
    )


def counts_text(target: str, used: list[RegionUsage], regions: int) -> Mrkdwn:
    if not used:
        where = "this region" if regions == 1 else f"{regions} regions"
        return md("*No use found*: no instance, launch template or Auto Scaling group uses `{}` in {}.", target, where)
    instances = [i for u in used for i in u.instances]
    running = sum(1 for i in instances if i.state == "running")
    templates = sum(len(u.templates) for u in used)
    groups = sum(len(u.groups) for u in used)
    return md(
        "*{} {}* ({} running, {} other) · *{} launch template {}* · *{} Auto Scaling {}* · in {} of {} regions",
        len(instances),
        plural(len(instances), "instance"),
        running,
        len(instances) - running,
        templates,
        plural(templates, "version"),
        groups,
        plural(groups, "group"),
        len(used),
        regions,
    )


def region_text(usage: RegionUsage, now: datetime) -> Mrkdwn:
    """The details of one region: instances, then template versions, then groups."""
    lines = [md("*{}*", usage.region)]
    lines += [
        md(
            "instance `{}`{} · {} · `{}` · `{}`",
            i.id,
            md(" *{}*", i.name) if i.name else "",
            state_text(i),
            i.type,
            i.ami,
        )
        for i in usage.instances[:MAX_PER_KIND]
    ]
    lines += [
        md(
            "launch template *{}* (`{}`) version {}{}",
            t.template_name,
            t.template_id,
            t.version,
            _marks(t.latest, t.default),
        )
        for t in usage.templates[:MAX_PER_KIND]
    ]
    lines += [
        md("Auto Scaling group *{}* · {} instances (desired {}) · through {}", g.name, g.instances, g.desired, g.via)
        for g in usage.groups[:MAX_PER_KIND]
    ]
    hidden = sum(max(0, len(x) - MAX_PER_KIND) for x in (usage.instances, usage.templates, usage.groups))
    if hidden:
        lines.append(md("…and {} more", hidden))
    return Mrkdwn("\n").join(lines)


def _marks(latest: bool, default: bool) -> str:
    marks = [m for m, on in (("latest", latest), ("default", default)) if on]
    return f" · {' · '.join(marks)}" if marks else ""


def _iso(when: datetime | None) -> str | None:
    return when.isoformat() if when else None


def usage_json(images: list[Image], used: list[RegionUsage], errors: list[RegionResult]) -> dict[str, Any]:
    return {
        "images": [{"id": i.id, "region": i.region, "deprecation": _iso(i.deprecation)} for i in images],
        "regions": {
            u.region: {
                "instances": [i.id for i in u.instances],
                "templates": [
                    {
                        "id": t.template_id,
                        "name": t.template_name,
                        "version": t.version,
                        "latest": t.latest,
                        "default": t.default,
                    }
                    for t in u.templates
                ],
                "groups": [{"name": g.name, "via": g.via, "instances": g.instances} for g in u.groups],
            }
            for u in used
        },
        "errors": {e.region: e.error for e in errors},
    }
