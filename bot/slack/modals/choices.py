"""What a form offers a person: only the instance types, regions and ttls their policy allows, and the AMIs
they may launch or copy, searched by what they type."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.access.guardrails import check_launch_region, check_ttl, matches, ttl_rules
from bot.access.policy import TtlRules
from bot.aws.images import Image, list_owned, newest_first
from bot.aws.instances import instance_type_candidates
from bot.aws.regions import known_regions
from bot.core.errors import CommandError
from bot.framework.context import Context

MAX_OPTIONS = 100  # Slack's limit for a select's options and for an options request's answer
TTL_LADDER = (3600, 2 * 3600, 4 * 3600, 8 * 3600, 12 * 3600, 86400, 2 * 86400, 3 * 86400, 7 * 86400, 14 * 86400)


def launch_types(ctx: Context, default: str) -> list[str]:
    """Instance types the launch guardrail allows, the default first when it is one of them."""
    patterns = ctx.services.policy.guardrails.launch.instance_types
    allowed = [t for t in instance_type_candidates(patterns) if matches(t, patterns)]
    return _first(allowed, default)[:MAX_OPTIONS]


def launch_regions(ctx: Context) -> list[str]:
    """Regions the launch guardrail allows, the default region first."""
    patterns = ctx.services.policy.guardrails.launch.regions
    return _first(sorted(r for r in known_regions() if matches(r, patterns)), ctx.settings.aws_region)[:MAX_OPTIONS]


def copy_regions(ctx: Context, source_region: str) -> list[str]:
    """Destination regions the copy guardrail allows, without the one the AMI is in."""
    patterns = ctx.services.policy.guardrails.copy_.regions
    return sorted(r for r in known_regions() if matches(r, patterns) and r != source_region)[:MAX_OPTIONS]


def ttl_rules_of(ctx: Context) -> TtlRules:
    return ttl_rules(ctx.services.policy, ctx.services.access.roles(ctx.user_id, ctx.channel_id))


def ttl_choices(rules: TtlRules) -> list[int]:
    """Ttls in seconds that `check_ttl` accepts for these rules: the default, a ladder up to the maximum, and
    `0` (no expiry) when the rules allow it."""
    offered = sorted({rules.default, *TTL_LADDER, 0})
    return [s for s in offered if _accepted(rules, s)]


def _accepted(rules: TtlRules, seconds: int) -> bool:
    try:
        check_ttl(rules, seconds)
    except CommandError:
        return False
    return True


def launchable_images(ctx: Context, region: str, query: str) -> list[Image]:
    """The available AMIs the account owns in `region` whose id or name contains `query`, newest first;
    none when launching there is not allowed (the launch guardrail)."""
    try:
        check_launch_region(ctx.services.policy, region)
    except CommandError:
        return []
    return owned_images(ctx, region, query)


def owned_images(ctx: Context, region: str, query: str) -> list[Image]:
    """The available AMIs the account owns in `region` whose id or name contains `query`, newest first."""
    needle = query.strip().lower()
    images = list_owned(ctx.services.aws, region)
    found = [i for i in images if i.state == "available" and (needle in i.id or needle in i.name.lower())]
    return newest_first(found)[:MAX_OPTIONS]


def deprecated(image: Image) -> bool:
    return image.deprecated(datetime.now(UTC))


def _first(values: list[str], first: str) -> list[str]:
    return [first, *[v for v in values if v != first]] if first in values else values
