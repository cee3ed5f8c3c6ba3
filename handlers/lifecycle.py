"""`/image stop | start | terminate | extend <instance-id>` on instances the bot launched (job kinds here too).

Stop, start and terminate are confirmed jobs. Who may: the person who
launched the instance through the bot (starting or extending it also needs
`launch`), or anyone with `manage`; an instance the bot did not launch only
an admin. Starting counts as a launch for the guardrails, the
daily quota and the expiry (it gets the starter's default ttl from now, when
that is later than its expiry was). `extend` moves the expiry at once: `--by`
after the later of the expiry and now, at most the caller's ttl `max` after
the instance's launch time as EC2 reports it (a start counts as a launch).
The expiry sweep's [Extend by 8h] button runs it.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.access.decisions import PermissionDenied
from bot.access.guardrails import check_extend, check_launch, check_launch_quota, consume_launch, ttl_rules
from bot.aws.lifecycle import (
    ACTIONS,
    Instance,
    change_state,
    get_instance,
    set_expiry,
    validate_instance_id,
    volume_sizes,
)
from bot.aws.regions import validate_region
from bot.core.command import PREFIX, Command
from bot.core.durations import duration_text, parse_duration
from bot.core.errors import CommandError
from bot.core.markup import Mrkdwn, md, mention
from bot.core.needs import Need
from bot.core.parts import Text
from bot.core.permissions import Permission
from bot.core.proposal import Proposal
from bot.core.reply import Reply
from bot.framework.context import Context
from bot.framework.job_kind import job_kind
from bot.framework.options import Text as TextOption
from bot.framework.starting import proposal_reply
from bot.framework.subcommand import subcommand
from bot.jobs.progress import Progress
from bot.jobs.record import JobResult
from bot.jobs.store import store_errors
from handlers.shared.ami import POLL_SECONDS
from handlers.shared.instances import (
    EXTEND_BY,
    age_text,
    expires_text,
    expiry_text,
    find_instance,
    owner_text,
    state_text,
)

# the states an action can start from, and what it warns about
FROM_STATES = {
    "stop": ("pending", "running"),
    "start": ("stopped",),
    "terminate": ("pending", "running", "stopping", "stopped"),
}
WARNINGS = {
    "stop": "A stopped instance is not billed for compute, but its EBS volumes still are; instance-store data is lost.",
    "start": "This starts an EC2 instance again, billed by the hour until someone stops or terminates it "
    "(or it expires: a start gives it your default ttl from now).",
    "terminate": "Terminating cannot be undone: the instance and the volumes marked *deleted* are gone for good.",
}
DOING = {"stop": "stopping", "start": "starting", "terminate": "terminating"}
COSTS_MONEY = ("start", "extend")  # the owner needs `launch` for these, as for a launch
OPTIONS = {"region": TextOption(convert=validate_region)}


def _spec(action: str) -> dict[str, Any]:
    return {
        "example": f"{PREFIX} {action} i-0abcdef1234567890",
        "forms": ("<instance-id>",),
        "options": OPTIONS,
        "slow": True,
        "needs": (Need.REDIS, Need.AWS),  # the confirmation is kept in Redis
    }


@subcommand("stop", **_spec("stop"))
def stop(ctx: Context, cmd: Command) -> Reply:
    """Stop an instance launched through the bot (a job, after you confirm)."""
    return propose(ctx, cmd, "stop")


@subcommand("start", **_spec("start"))
def start(ctx: Context, cmd: Command) -> Reply:
    """Start a stopped instance launched through the bot (a job, after you confirm)."""
    return propose(ctx, cmd, "start")


@subcommand("terminate", **_spec("terminate"))
def terminate(ctx: Context, cmd: Command) -> Reply:
    """Terminate an instance launched through the bot, with its volumes (a job, after you confirm)."""
    return propose(ctx, cmd, "terminate")


def propose(ctx: Context, cmd: Command, action: str) -> Reply:
    """Check who may, the state and the guardrails; then the summary to confirm."""
    instance_id = validate_instance_id(cmd.args[0])
    region = cmd.option("region") or ctx.settings.aws_region
    instance = find_instance(ctx, region, instance_id)
    permission = allowed(ctx, instance, action)
    if instance.state not in FROM_STATES[action]:
        raise CommandError(
            f"`{instance_id}` is {instance.state}, so there is nothing to {action}. "
            f"`{PREFIX} instances --region {region}` shows its state."
        )
    if action == "start":
        check_launch(ctx.services.policy, instance.type, region)
        with store_errors(ctx.settings):
            check_launch_quota(ctx.services.redis, ctx.services.policy, ctx.user_id)
    now = datetime.now(UTC)
    summary = [
        ("Instance", md("`{}`", instance.id) + (md(" ({})", instance.name) if instance.name else Mrkdwn(""))),
        ("State", state_text(instance)),
        ("Type", f"`{instance.type}`"),
        ("Region", f"`{region}`"),
        ("Launched by", owner_text(instance)),
        ("Age", age_text(instance, now)),
        ("Expiry", expiry_text(instance, now)),
    ]
    if action == "terminate":
        summary.append(("Volumes", volumes_text(ctx, instance)))
    return proposal_reply(
        Proposal(
            kind=f"instance.{action}",
            args={"instance": instance.id, "region": region},
            target=f"{DOING[action]} {instance.id} in {region}",
            title=f"{action.capitalize()} {instance.id}?",
            summary=tuple(summary),
            permission=permission,
            warning=WARNINGS[action],
        )
    )


def _by(value: str) -> str:
    seconds = parse_duration(value, "by", "extend <instance-id>")
    if seconds <= 0:
        raise CommandError(f"`--by` must be longer than 0, like `{PREFIX} extend i-0abcdef1234567890 --by 8h`.")
    return duration_text(seconds)


@subcommand(
    "extend",
    example=f"{PREFIX} extend i-0abcdef1234567890 --by 8h",
    forms=("<instance-id>",),
    options={"by": TextOption(default=EXTEND_BY, convert=_by), "region": TextOption(convert=validate_region)},
    slow=True,
    validate=lambda cmd: validate_instance_id(cmd.args[0]),
    needs=(Need.AWS,),
)
def extend(ctx: Context, cmd: Command) -> Reply:
    """Move an instance's expiry later (`--by 8h`), up to the longest the policy lets you keep it."""
    instance_id = validate_instance_id(cmd.args[0])
    region = cmd.option("region") or ctx.settings.aws_region
    by = parse_duration(cmd.option("by") or EXTEND_BY)  # already checked by the option
    instance = find_instance(ctx, region, instance_id)
    allowed(ctx, instance, "extend")
    current = instance.expires
    if current is None:
        raise CommandError(f"`{instance_id}` has no expiry (`imagebot:expires-at`), so there is nothing to extend.")
    if instance.state in ("shutting-down", "terminated"):
        raise CommandError(f"`{instance_id}` is {instance.state}; there is nothing left to extend.")
    now = datetime.now(UTC)
    rules = ttl_rules(ctx.services.policy, ctx.services.access.roles(ctx.user_id, ctx.channel_id))
    new = check_extend(rules, instance.launched, current, by, now)
    set_expiry(ctx.services.aws, region, instance_id, new)
    was = current.strftime("%Y-%m-%d %H:%M UTC")
    text = md(":white_check_mark: `{}` now {} (it was {}).", instance_id, expires_text(new, now), was)
    return Reply(parts=[Text(text)], data={"instance": instance_id, "region": region, "expires": new.isoformat()})


def allowed(ctx: Context, instance: Instance, action: str) -> Permission:
    """The permission that lets this caller act (checked again at confirmation), or a refusal saying who may."""
    if instance.owner is None:
        if ctx.may(Permission.ADMIN):
            return Permission.ADMIN
        raise PermissionDenied(
            f"`{instance.id}` was not launched through imagebot, so only an admin can {action} it from here."
        )
    if instance.owner == ctx.user_id:
        if action not in COSTS_MONEY:
            return Permission.READ  # your own instance: stopping or terminating it only saves money
        if ctx.may(Permission.LAUNCH):
            return Permission.LAUNCH
    if ctx.may(Permission.MANAGE):
        return Permission.MANAGE
    if instance.owner == ctx.user_id:
        ctx.check(Permission.LAUNCH)  # raises, saying who grants it
    raise PermissionDenied(
        md(
            "`{}` was launched by {}; only they, or someone with the `manage` permission, can {} it.",
            instance.id,
            mention(instance.owner),
            action,
        )
    )


def volumes_text(ctx: Context, instance: Instance) -> Mrkdwn:
    """Each attached volume, and whether terminating deletes it (DeleteOnTermination)."""
    volumes = instance.volumes()
    if not volumes:
        return Mrkdwn("no EBS volumes attached")
    sizes = volume_sizes(ctx.services.aws, instance.region, [v for _, v, _ in volumes])
    lines = [
        md("`{}` `{}` {} · {}", device, vid, sizes.get(vid, ""), "*deleted*" if gone else "kept")
        for device, vid, gone in volumes
    ]
    return Mrkdwn("\n").join(lines)


class InstanceActionFailed(CommandError):
    """The instance went somewhere other than the state the action aims for."""


@job_kind("instance.stop", timeout=1800, retries=3, needs=(Need.AWS,))
def stop_job(ctx: Context, progress: Progress, args: dict[str, Any]) -> JobResult:
    """Stop the instance and wait until it is stopped."""
    return run_action(ctx, progress, args, "stop")


@job_kind("instance.start", timeout=1800, retries=3, needs=(Need.AWS,))
def start_job(ctx: Context, progress: Progress, args: dict[str, Any]) -> JobResult:
    """Start the instance (guardrails and quota again) and wait until it runs."""
    return run_action(ctx, progress, args, "start")


@job_kind("instance.terminate", timeout=1800, retries=3, needs=(Need.AWS,))
def terminate_job(ctx: Context, progress: Progress, args: dict[str, Any]) -> JobResult:
    """Terminate the instance and wait until it is terminated."""
    return run_action(ctx, progress, args, "terminate")


def run_action(ctx: Context, progress: Progress, args: dict[str, Any], action: str) -> JobResult:
    """Ask EC2 once (a retry finds the state already moving), wait for the target state, write the audit log."""
    region, instance_id = str(args["region"]), str(args["instance"])
    text = f"{action} {instance_id} --region {region}"
    try:
        instance = _act(ctx, progress, region, instance_id, action)
        instance = _wait(ctx, progress, instance, action, float(args.get("poll", POLL_SECONDS)))
    except CommandError as exc:
        ctx.audit(text, f"instance.{action}", "confirmed", f"failed: {exc.message}", progress.job_id)
        raise
    ctx.audit(text, f"instance.{action}", "confirmed", instance.state, progress.job_id)
    return JobResult(
        f"Instance {instance.id} is {instance.state} in {region}.",
        fields=(
            ("Instance", instance.id),
            ("Name", instance.name or "—"),
            ("State", instance.state),
            ("Region", region),
        ),
    )


def _act(ctx: Context, progress: Progress, region: str, instance_id: str, action: str) -> Instance:
    instance = get_instance(ctx.services.aws, region, instance_id)
    if instance is None:
        raise InstanceActionFailed(f"`{instance_id}` is gone from `{region}`; nothing was done.")
    target, passing = ACTIONS[action][1], ACTIONS[action][2]
    if instance.state == target or instance.state in passing:
        return instance  # a retried job: the first attempt already asked
    if action == "start":  # the policy may have changed since the confirmation
        check_launch(ctx.services.policy, instance.type, region)
        consume_launch(ctx.services.redis, ctx.services.policy, ctx.user_id)
        renew_expiry(ctx, instance)
    progress.update(0.1, f"asking EC2 to {action} {instance_id} in {region}")
    change_state(ctx.services.aws, region, instance_id, action)
    return instance


def renew_expiry(ctx: Context, instance: Instance) -> None:
    """A start is a launch: the expiry moves to the starter's default ttl from now, if that is later than it was.

    An instance with no expiry gets one unless the starter may launch with none (ttl max 0).
    """
    rules = ttl_rules(ctx.services.policy, ctx.services.access.roles(ctx.user_id, ctx.channel_id))
    if not rules.default or (instance.expires is None and not rules.max):
        return
    fresh = datetime.now(UTC) + timedelta(seconds=rules.default)
    if instance.expires is None or instance.expires < fresh:
        set_expiry(ctx.services.aws, instance.region, instance.id, fresh)


def _wait(ctx: Context, progress: Progress, instance: Instance, action: str, poll: float) -> Instance:
    target, passing = ACTIONS[action][1], ACTIONS[action][2]
    started = time.monotonic()
    while True:
        current = get_instance(ctx.services.aws, instance.region, instance.id) or instance
        if current.state == target:
            return current
        elapsed = time.monotonic() - started
        if current.state not in passing and current.state != instance.state:
            reason = (current.data.get("StateReason") or {}).get("Message") or "EC2 gave no reason"
            raise InstanceActionFailed(f"`{instance.id}` is {current.state} instead of {target}: {reason}.")
        progress.update(min(0.95, 0.2 + elapsed / 600), f"{instance.id} in {instance.region}: {current.state}")
        time.sleep(poll)
