"""`--region R | --region all`, shared by the commands that look in one region or every enabled one."""

from __future__ import annotations

from bot.aws.regions import enabled_regions, validate_region
from bot.framework.context import Context


def region_or_all(value: str) -> str:
    """`--region`: a region name, or `all` for every enabled region."""
    return "all" if value.strip().lower() == "all" else validate_region(value)


def regions_for(ctx: Context, option: str | None) -> list[str]:
    """The regions to look in: `--region R`, every enabled one for `all`, else the default."""
    if option == "all":
        return enabled_regions(ctx.services.aws)
    return [option or ctx.settings.aws_region]
