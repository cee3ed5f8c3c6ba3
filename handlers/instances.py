"""`/image instances`: the instances launched through the bot (yours, or everyone's), region by region."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.aws.lifecycle import Instance, list_launched
from bot.aws.regions import RegionResult, fan_out
from bot.core.command import PREFIX, Command
from bot.core.errors import CommandError
from bot.core.markup import Mrkdwn, md
from bot.core.needs import Need
from bot.core.parts import Footer, Header, Part, Text
from bot.core.permissions import Permission
from bot.core.reply import Reply
from bot.framework.context import Context
from bot.framework.options import Flag
from bot.framework.options import Text as TextOption
from bot.framework.subcommand import subcommand
from handlers.shared.instances import instance_json, instance_line
from handlers.shared.regions import region_or_all, regions_for

MAX_LISTED = 40


@subcommand(
    "instances",
    example=f"{PREFIX} instances --all --region all",
    options={"mine": Flag(), "all": Flag(), "region": TextOption(convert=region_or_all, metavar="R|all")},
    slow=True,
    needs=(Need.AWS,),
)
def list_instances(ctx: Context, cmd: Command) -> Reply:
    """List the instances launched through the bot: yours, or everyone's with `--all`."""
    if cmd.flag("mine") and cmd.flag("all"):
        raise CommandError(f"Choose one: `{PREFIX} instances --mine` (the default) or `{PREFIX} instances --all`.")
    everyone = cmd.flag("all")
    if everyone:
        ctx.check(Permission.MANAGE)
    regions = regions_for(ctx, cmd.option("region"))
    owner = None if everyone else ctx.user_id
    if len(regions) == 1:  # one region: its error is the answer
        results = [RegionResult(regions[0], value=list_launched(ctx.services.aws, regions[0], owner))]
    else:
        results = fan_out(ctx.services.aws, regions, lambda r: list_launched(ctx.services.aws, r, owner))
    return instances_reply(results, everyone, datetime.now(UTC))


def instances_reply(results: list[RegionResult], everyone: bool, now: datetime) -> Reply:
    """Newest first, one line each; regions that failed are named in the footer."""
    found: list[Instance] = [i for r in results if r.value for i in r.value]
    found.sort(key=lambda i: i.launched or now, reverse=True)
    whose = "launched through imagebot" if everyone else "you launched through imagebot"
    where = f"`{results[0].region}`" if len(results) == 1 else f"{len(results)} regions"
    parts: list[Part] = [Header("Instances " + whose)]
    if found:
        lines = [instance_line(i, now) for i in found[:MAX_LISTED]]
        more = md("\n…and {} more", len(found) - MAX_LISTED) if len(found) > MAX_LISTED else Mrkdwn("")
        parts.append(Text(Mrkdwn("\n").join(lines) + more))
    else:
        parts.append(Text(md("No live instances {} in {}.", whose, where)))
    errors = [r for r in results if r.error]
    summary = md("{} instances in {}.", len(found), where)
    if len(results) == 1:
        summary += md(" `{} instances --region all` looks everywhere.", PREFIX)
    summary += md(" `{} stop | start | terminate {}` acts on one.", PREFIX, "<instance-id>")  # escaped: not a link
    parts.append(Footer(summary))
    if errors:
        parts.append(Footer(md("Could not look in: {}", "; ".join(f"{e.region}: {e.error}" for e in errors[:5]))))
    return Reply(parts=parts, data={"instances": [instance_json(i) for i in found]})
