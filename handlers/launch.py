"""`/image launch`: start an instance from an AMI, as a confirmed job (the `ami.launch` kind is here too)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.access.guardrails import (
    check_launch,
    check_launch_quota,
    check_ttl,
    consume_launch,
    release_launch,
    required_tags,
    ttl_rules,
)
from bot.access.policy import Policy
from bot.aws.errors import Throttled
from bot.aws.images import validate_ami_id
from bot.aws.instances import (
    describe_instance,
    dry_run_launch,
    find_instance_by_tag,
    launch_params,
    run_instance,
    validate_instance_type,
)
from bot.aws.lifecycle import EXPIRES_TAG, expiry_value
from bot.aws.regions import validate_region
from bot.core.command import PREFIX, Command
from bot.core.durations import duration_text, parse_duration
from bot.core.errors import CommandError
from bot.core.needs import Need
from bot.core.permissions import Permission
from bot.core.proposal import Proposal
from bot.core.reply import Reply
from bot.framework.context import Context
from bot.framework.job_kind import job_kind
from bot.framework.options import Flag, Text
from bot.framework.starting import proposal_reply
from bot.framework.subcommand import subcommand
from bot.jobs.progress import Progress
from bot.jobs.record import JobResult
from bot.jobs.store import store_errors
from handlers.shared.ami import POLL_SECONDS, available_image, deprecation_text, tags_text

DEFAULT_TYPE = "t3.micro"
PRICE_CLASSES = (
    (("nano", "micro"), "tiny (≈ $0.004–0.02/h)"),
    (("small", "medium"), "small (≈ $0.01–0.05/h)"),
    (("large",), "medium (≈ $0.05–0.20/h)"),
    (("xlarge", "2xlarge"), "large (≈ $0.15–0.80/h)"),
)
LAUNCH_WARNING = "This starts an EC2 instance that is billed by the hour until someone terminates it."
DRY_RUN_JOB = "pending-confirmation"


def price_class(instance_type: str) -> str:
    """A rough hourly price class from the instance size (not a quote)."""
    size = instance_type.split(".", 1)[-1]
    for sizes, text in PRICE_CLASSES:
        if size in sizes:
            return text
    return "very large (≈ $0.60/h and up)"


@subcommand(
    "launch",
    example=f"{PREFIX} launch ami-0abcdef1234567890 --type t3.small --name smoke-test --ttl 8h",
    forms=("<ami-id>",),
    options={
        "type": Text(default=DEFAULT_TYPE, convert=validate_instance_type),
        "region": Text(convert=validate_region),
        "name": Text(),
        "subnet": Text(),
        "key": Text(),
        "allow-deprecated": Flag(),
        "ttl": Text(convert=lambda v: duration_text(parse_duration(v))),
    },
    slow=True,
    permission=Permission.LAUNCH,
    validate=lambda cmd: validate_ami_id(cmd.args[0]),
    needs=(Need.REDIS, Need.AWS),  # the quota and the confirmation are kept in Redis
)
def launch(ctx: Context, cmd: Command) -> Reply:
    """Launch an instance from an AMI (a job, after you confirm)."""
    ami_id = validate_ami_id(cmd.args[0])
    region = cmd.option("region") or ctx.settings.aws_region
    instance_type = cmd.option("type") or DEFAULT_TYPE
    policy = ctx.services.policy
    check_launch(policy, instance_type, region)
    with store_errors(ctx.settings):  # the quota is counted in Redis, like the job store
        check_launch_quota(ctx.services.redis, policy, ctx.user_id)
    image = available_image(ctx, region, ami_id, "--region")
    deprecated = image.deprecated(datetime.now(UTC))
    if deprecated and not cmd.flag("allow-deprecated"):
        raise CommandError(
            f"`{ami_id}` is deprecated ({deprecation_text(image.deprecation, datetime.now(UTC))}). "
            f"Launch a current AMI, or add `--allow-deprecated` if you really mean this one."
        )
    name = (cmd.option("name") or f"imagebot-{image.name or ami_id}")[:255]
    asked = cmd.option("ttl")
    rules = ttl_rules(policy, ctx.services.access.roles(ctx.user_id, ctx.channel_id))
    ttl = check_ttl(rules, None if asked is None else parse_duration(asked))
    args = {"ami": ami_id, "region": region, "type": instance_type, "name": name, "ttl": ttl}
    args.update({k: v for k in ("subnet", "key") if (v := cmd.option(k))})
    tags = launch_tags(policy, ctx.user_id, DRY_RUN_JOB, name, ttl)
    dry_run_launch(ctx.services.aws, region, _params(args, tags))
    shown_tags = {**tags, "imagebot:job": "<job id>"}
    if ttl:
        shown_tags[EXPIRES_TAG] = f"<launch time + {duration_text(ttl)}>"
    return proposal_reply(
        Proposal(
            kind="ami.launch",
            args=args,
            target=f"launching {instance_type} from {ami_id} in {region}",
            title=f"Launch {instance_type} from {ami_id}?",
            summary=(
                ("AMI", f"`{ami_id}` ({image.name or 'no name'})" + (" · deprecated" if deprecated else "")),
                ("Name", name),
                ("Type", f"`{instance_type}`"),
                ("Region", f"`{region}`"),
                ("Subnet", f"`{args['subnet']}`" if "subnet" in args else "default"),
                ("Key pair", f"`{args['key']}`" if "key" in args else "none"),
                ("Price class", price_class(instance_type)),
                ("Expires", f"{duration_text(ttl)} after launch" if ttl else "never (`--ttl 0`)"),
                ("Tags", tags_text(shown_tags)),
            ),
            permission=Permission.LAUNCH,
            warning=LAUNCH_WARNING,
        )
    )


def launch_tags(policy: Policy, user_id: str, job_id: str, name: str, ttl: int = 0) -> dict[str, str]:
    """The instance's tags; with a ttl (seconds), `imagebot:expires-at` in ISO UTC from now."""
    tags = {**required_tags(policy, user_id, job_id), "Name": name}
    if ttl:
        tags[EXPIRES_TAG] = expiry_value(datetime.now(UTC) + timedelta(seconds=ttl))
    return tags


def _params(args: dict[str, Any], tags: dict[str, str]) -> dict[str, Any]:
    return launch_params(str(args["ami"]), str(args["type"]), tags, args.get("subnet"), args.get("key"))


def client_token(args: dict[str, Any], job_id: str) -> str:
    """The run_instances ClientToken: from the confirmation, so every retry sends the same one."""
    return f"imagebot-launch-{args.get('confirmation') or job_id}"[:64]


class InstanceLaunchFailed(CommandError):
    """The instance ended (terminated, shutting down) instead of running."""


@job_kind("ami.launch", timeout=1800, retries=3, needs=(Need.AWS,))
def launch_job(ctx: Context, progress: Progress, args: dict[str, Any]) -> JobResult:
    """Start the instance once (ClientToken + a look-up by job tag), then wait until it runs."""
    clients, region = ctx.services.aws, str(args["region"])
    policy, user = ctx.services.policy, ctx.user_id
    instance = find_instance_by_tag(clients, region, "imagebot:job", progress.job_id)  # a retry
    if instance is None:
        check_launch(policy, str(args["type"]), region)
        consume_launch(ctx.services.redis, policy, user)
        tags = launch_tags(policy, user, progress.job_id, str(args["name"]), int(args.get("ttl") or 0))
        progress.update(0.1, f"starting {args['type']} from {args['ami']} in {region}")
        try:
            instance = run_instance(clients, region, _params(args, tags), client_token(args, progress.job_id))
        except Throttled:
            release_launch(ctx.services.redis, user)  # nothing started: the retry counts it again
            raise
    poll = float(args.get("poll", POLL_SECONDS))
    instance = _wait_for_instance(ctx, progress, region, str(instance["InstanceId"]), poll)
    return launch_result(region, instance)


def _wait_for_instance(ctx: Context, progress: Progress, region: str, instance_id: str, poll: float) -> dict[str, Any]:
    started = time.monotonic()
    while True:
        instance = describe_instance(ctx.services.aws, region, instance_id)
        state = str((instance or {}).get("State", {}).get("Name") or "not visible yet")
        if instance is not None and state == "running":
            return instance
        if state in ("shutting-down", "terminated", "stopping", "stopped"):
            reason = (instance or {}).get("StateReason", {}).get("Message") or "EC2 gave no reason"
            raise InstanceLaunchFailed(f"Instance {instance_id} in `{region}` is {state} instead of running: {reason}.")
        elapsed = time.monotonic() - started
        progress.update(min(0.95, 0.2 + elapsed / 600), f"{instance_id} in {region}: {state} ({elapsed:.0f} s)")
        time.sleep(poll)


def console_link(region: str, instance_id: str) -> str:
    return f"https://{region}.console.aws.amazon.com/ec2/home?region={region}#InstanceDetails:instanceId={instance_id}"


def launch_result(region: str, instance: dict[str, Any]) -> JobResult:
    instance_id = str(instance["InstanceId"])
    return JobResult(
        f"Instance {instance_id} is running in {region}.",
        fields=(
            ("Instance", instance_id),
            ("Type", str(instance.get("InstanceType", "?"))),
            ("AZ", str(instance.get("Placement", {}).get("AvailabilityZone", "?"))),
            ("Private IP", str(instance.get("PrivateIpAddress") or "—")),
            ("State", str(instance.get("State", {}).get("Name", "?"))),
            ("Console", console_link(region, instance_id)),
        ),
    )
