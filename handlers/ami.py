"""AMI commands over boto3: `ami status` and `ami copies` (look-ups for on-call),
`ami copy` and `launch` (confirmed jobs; their job kinds `ami.copy` and
`ami.launch` are registered here, so every worker has them).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from bot import aws
from bot.access import check_copy, check_launch, check_launch_quota, consume_launch, required_tags
from bot.aws import Copy, CopyReport, Image, RegionResult
from bot.commands import PREFIX, Command, Context, subcommand
from bot.confirm import Proposal, proposal_reply
from bot.errors import CommandError
from bot.jobs import JobResult, Progress, job_kind
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


# -------------------------------------------------------------------- copy

POLL_SECONDS = 10.0  # between describe calls while a job waits; `poll` in the job args overrides it
COPY_WARNING = "This creates a new AMI and EBS snapshots in `{region}`; snapshot storage costs money."


@subcommand(
    "ami copy",
    usage=f"{PREFIX} ami copy <ami-id> <region> [--name N] [--source-region R]",
    example=f"{PREFIX} ami copy ami-0abcdef1234567890 eu-west-1",
    options=("name", "source-region"),
    min_args=2,
    max_args=2,
    slow=True,
    permission="copy",
)
def ami_copy(ctx: Context, cmd: Command) -> Reply:
    """Copy an AMI to another region (a job, after you confirm)."""
    ami_id = aws.validate_ami_id(cmd.args[0])
    region = aws.validate_region(cmd.args[1])
    source_region = aws.validate_region(cmd.option("source-region") or ctx.settings.aws_region)
    if region == source_region:
        raise CommandError(f"`{ami_id}` already lives in `{region}`. Name another region, like `eu-west-1`.")
    check_copy(ctx.services.policy, region)
    source = _available_image(ctx, source_region, ami_id, "--source-region")
    name = (cmd.option("name") or source.name or source.id).strip()
    return proposal_reply(
        Proposal(
            kind="ami.copy",
            args={"ami": source.id, "source_region": source_region, "region": region, "name": name},
            target=f"copying {source.id} ({name}) from {source_region} to {region}",
            title=f"Copy {source.id} to {region}?",
            summary=(
                ("AMI", f"`{source.id}` ({source.name or 'no name'})"),
                ("From", f"`{source_region}`"),
                ("To", f"`{region}`"),
                ("New name", name),
                ("Tags", f"the AMI's own tags, plus `{aws.SOURCE_IMAGE_TAG}` and `{aws.SOURCE_REGION_TAG}`"),
            ),
            permission="copy",
            warning=COPY_WARNING.format(region=region),
        )
    )


def _available_image(ctx: Context, region: str, ami_id: str, option: str) -> aws.Image:
    image = aws.describe_image(ctx.services, region, ami_id)
    if image is None:
        raise CommandError(
            f"`{ami_id}` was not found in `{region}`. Give the region it lives in with `{option} R`, "
            f"or find it with `{PREFIX} ami status {ami_id} --region all`."
        )
    if image.state != "available":
        raise CommandError(f"`{ami_id}` is {state_text(image)}; it must be available. Try again once it is.")
    return image


class ImageCopyFailed(CommandError):
    """EC2 reported the copy as failed (or it vanished while the job waited)."""


@job_kind("ami.copy", timeout=2 * 3600, retries=3)
def copy_job(progress: Progress, args: dict[str, Any]) -> JobResult:
    """Copy the AMI, tag the copy with its source, and wait until it is available."""
    services = progress.services
    region, source_region = str(args["region"]), str(args["source_region"])
    check_copy(services.policy, region)  # the policy may have changed since the confirmation
    progress.update(0.02, f"checking {args['ami']} in {source_region}")
    source = aws.describe_image(services, source_region, str(args["ami"]))
    if source is None:
        raise ImageCopyFailed(f"`{args['ami']}` is gone from `{source_region}`; nothing was copied.")
    token = str(args.get("confirmation") or progress.job_id)
    new_id = aws.copy_image(services, source, region, str(args["name"]), token)
    progress.update(0.05, f"copying to {region} as {new_id}")
    image = _wait_for_image(progress, region, new_id, float(args.get("poll", POLL_SECONDS)))
    aws.ensure_tags(services, region, new_id, image.tags, aws.source_tags(source))
    return JobResult(
        f"Copied {source.id} to {region}: {new_id} is available.",
        fields=(
            ("New AMI", new_id),
            ("Region", region),
            ("Name", image.name),
            ("Source", f"{source.id} ({source_region})"),
        ),
    )


def _wait_for_image(progress: Progress, region: str, ami_id: str, poll: float) -> aws.Image:
    started = time.monotonic()
    while True:
        image = aws.describe_image(progress.services, region, ami_id)
        state = image.state if image else "not visible yet"
        if image is not None and image.state == "available":
            return image
        if image is not None and image.state in ("failed", "error", "invalid", "deregistered"):
            reason = image.data.get("StateReason") or {}
            why = reason.get("Message") or reason.get("Code") or "EC2 gave no reason"
            raise ImageCopyFailed(f"The copy {ami_id} in `{region}` {image.state}: {why}.")
        elapsed = time.monotonic() - started
        progress.update(min(0.95, 0.05 + elapsed / 3600), f"{ami_id} in {region}: {state} ({elapsed:.0f} s)")
        time.sleep(poll)


# ------------------------------------------------------------------ launch

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
    usage=f"{PREFIX} launch <ami-id> [--type T] [--region R] [--name N] [--subnet S] [--key K] [--allow-deprecated]",
    example=f"{PREFIX} launch ami-0abcdef1234567890 --type t3.small --name smoke-test",
    options=("type", "region", "name", "subnet", "key"),
    flags=("allow-deprecated",),
    min_args=1,
    max_args=1,
    slow=True,
    permission="launch",
)
def launch(ctx: Context, cmd: Command) -> Reply:
    """Launch an instance from an AMI (a job, after you confirm)."""
    ami_id = aws.validate_ami_id(cmd.args[0])
    region = aws.validate_region(cmd.option("region") or ctx.settings.aws_region)
    instance_type = aws.validate_instance_type(cmd.option("type") or DEFAULT_TYPE)
    policy = ctx.services.policy
    check_launch(policy, instance_type, region)
    check_launch_quota(ctx.services.redis, policy, ctx.user_id)
    image = _available_image(ctx, region, ami_id, "--region")
    deprecated = image.deprecation is not None and image.deprecation <= datetime.now(UTC)
    if deprecated and not cmd.flag("allow-deprecated"):
        raise CommandError(
            f"`{ami_id}` is deprecated ({deprecation_text(image.deprecation, datetime.now(UTC))}). "
            f"Launch a current AMI, or add `--allow-deprecated` if you really mean this one."
        )
    name = (cmd.option("name") or f"imagebot-{image.name or ami_id}")[:255]
    args = {"ami": ami_id, "region": region, "type": instance_type, "name": name}
    args.update({k: v for k in ("subnet", "key") if (v := cmd.option(k))})
    tags = launch_tags(policy, ctx.user_id, DRY_RUN_JOB, name)
    aws.dry_run_launch(ctx.services, region, _params(args, tags))
    shown_tags = {**tags, "imagebot:job": "<job id>"}
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
                ("Tags", tags_text(shown_tags)),
            ),
            permission="launch",
            warning=LAUNCH_WARNING,
        )
    )


def launch_tags(policy: Any, user_id: str, job_id: str, name: str) -> dict[str, str]:
    return {**required_tags(policy, user_id, job_id), "Name": name}


def _params(args: dict[str, Any], tags: dict[str, str]) -> dict[str, Any]:
    return aws.launch_params(str(args["ami"]), str(args["type"]), tags, args.get("subnet"), args.get("key"))


def client_token(args: dict[str, Any], job_id: str) -> str:
    """The run_instances ClientToken: from the confirmation, so every retry sends the same one."""
    return f"imagebot-launch-{args.get('confirmation') or job_id}"[:64]


class InstanceLaunchFailed(CommandError):
    """The instance ended (terminated, shutting down) instead of running."""


@job_kind("ami.launch", timeout=1800, retries=3)
def launch_job(progress: Progress, args: dict[str, Any]) -> JobResult:
    """Start the instance once (ClientToken + a look-up by job tag), then wait until it runs."""
    services, region = progress.services, str(args["region"])
    policy, user = services.policy, progress.record.user_id
    instance = aws.find_instance_by_tag(services, region, "imagebot:job", progress.job_id)  # a retry
    if instance is None:
        check_launch(policy, str(args["type"]), region)
        consume_launch(services.redis, policy, user)
        tags = launch_tags(policy, user, progress.job_id, str(args["name"]))
        progress.update(0.1, f"starting {args['type']} from {args['ami']} in {region}")
        instance = aws.run_instance(services, region, _params(args, tags), client_token(args, progress.job_id))
    instance = _wait_for_instance(progress, region, str(instance["InstanceId"]), float(args.get("poll", POLL_SECONDS)))
    return launch_result(region, instance)


def _wait_for_instance(progress: Progress, region: str, instance_id: str, poll: float) -> dict[str, Any]:
    started = time.monotonic()
    while True:
        instance = aws.describe_instance(progress.services, region, instance_id)
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
