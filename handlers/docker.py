"""`/image pull` (a job), `/image docker inspect` and `/image docker remote`."""

from __future__ import annotations

from typing import Any

from bot.access import check_pull
from bot.commands import PREFIX, Command, Context, subcommand
from bot.containers import (
    DockerError,
    LocalImage,
    RemoteImage,
    describe_progress,
    docker_client,
    human_size,
    inspect_local,
    inspect_remote,
    parse_platform,
    parse_reference,
    pull_image,
    throttled,
)
from bot.jobs import JobResult, Progress, TransientJobError, job_kind, submit
from bot.reply import Context as Footer
from bot.reply import Fields, Header, Reply

EXAMPLE_REF = "nginx:1.27"


@subcommand(
    "pull",
    usage=f"{PREFIX} pull <image-ref> [--platform os/arch]",
    example=f"{PREFIX} pull {EXAMPLE_REF} --platform linux/arm64",
    options=("platform",),
    min_args=1,
    max_args=1,
    permission="pull",
)
def pull(ctx: Context, cmd: Command) -> Reply:
    """Pull an image onto the bot's Docker host as a job, with live progress."""
    from handlers.jobs import started_reply

    ref = parse_reference(cmd.args[0])
    platform_text = cmd.option("platform")
    platform = parse_platform(platform_text) if platform_text else None
    check_pull(ctx.services.policy, str(ref))
    args = {"ref": str(ref), "platform": platform}
    target = f"pulling {ref}" + (f" for {platform}" if platform else "")
    record, created = submit(ctx, "pull", args, target)
    return started_reply(record, created)


@job_kind("pull", timeout=1800, retries=3)
def run_pull(progress: Progress, args: dict[str, Any]) -> JobResult:
    """The pull job: the engine's events become the job's progress (at most one update a second)."""
    check_pull(progress.services.policy, str(args["ref"]))  # the guardrail again: the policy may have changed
    report = throttled(lambda fraction, stage, detail: progress.update(fraction, describe_progress(stage, detail)))
    try:
        result = pull_image(docker_client(progress.services), str(args["ref"]), args.get("platform"), report)
    except DockerError as exc:
        if exc.transient:
            raise TransientJobError(exc.message) from exc
        raise
    return JobResult(result.summary, fields=result.fields())


@subcommand(
    "docker inspect",
    usage=f"{PREFIX} docker inspect <image-ref>",
    example=f"{PREFIX} docker inspect {EXAMPLE_REF}",
    min_args=1,
    max_args=1,
    slow=True,
)
def docker_inspect(ctx: Context, cmd: Command) -> Reply:
    """Show an image on the bot's Docker host: id, tags, digests, size, platform, layers, entrypoint, ports."""
    ref = parse_reference(cmd.args[0])
    image = inspect_local(docker_client(ctx.services), ref)
    return Reply(parts=[Header(f"Local image {image.ref}"), Fields(local_fields(image)), Footer(local_footer(image))])


@subcommand(
    "docker remote",
    usage=f"{PREFIX} docker remote <image-ref>",
    example=f"{PREFIX} docker remote {EXAMPLE_REF}",
    min_args=1,
    max_args=1,
    slow=True,
)
def docker_remote(ctx: Context, cmd: Command) -> Reply:
    """Show what the registry has for an image without pulling it: digest, media type, platforms."""
    ref = parse_reference(cmd.args[0])
    image = inspect_remote(docker_client(ctx.services), ref)
    return Reply(
        parts=[Header(f"Registry image {image.ref}"), Fields(remote_fields(image)), Footer(remote_footer(image))]
    )


def local_fields(image: LocalImage) -> tuple[tuple[str, str], ...]:
    return (
        ("Id", f"`{image.image_id}`"),
        ("Size", human_size(image.size)),
        ("Tags", _code_lines(image.tags)),
        ("Digests", _code_lines(image.digests)),
        ("Platform", image.platform),
        ("Created", image.created),
        ("Layers", str(image.layers)),
        ("Exposed ports", ", ".join(image.ports) or "none"),
        ("Entrypoint", _command(image.entrypoint)),
        ("Cmd", _command(image.cmd)),
    )


def remote_fields(image: RemoteImage) -> tuple[tuple[str, str], ...]:
    kind = "multi-platform index" if image.is_index else "single image manifest"
    return (
        ("Digest", f"`{image.digest}`"),
        ("Media type", f"`{image.media_type}` ({kind})"),
        ("Platforms", ", ".join(image.platforms) or "not stated"),
        ("Manifest size", human_size(image.size)),
    )


def local_footer(image: LocalImage) -> str:
    if not image.digests:
        return "Built or imported on this host, never pulled: it has no registry digest."
    return f"On the bot's Docker host. What the registry has now: `{PREFIX} docker remote {image.ref}`"


def remote_footer(image: RemoteImage) -> str:
    return (
        f"Nothing was pulled. Pull it: `{PREFIX} pull {image.ref}` · "
        f"on this host: `{PREFIX} docker inspect {image.ref}`"
    )


def _code_lines(values: tuple[str, ...]) -> str:
    return "\n".join(f"`{v}`" for v in values) or "none"


def _command(words: tuple[str, ...]) -> str:
    return f"`{' '.join(words)}`" if words else "none"
