"""`/image docker inspect` and `/image docker remote`: an image on the bot's Docker host, or in its registry."""

from __future__ import annotations

from bot.core.command import PREFIX, Command
from bot.core.formatting import human_size
from bot.core.needs import Need
from bot.core.parts import Fields, Footer, Header
from bot.core.reply import Reply
from bot.docker.inspect import LocalImage, RemoteImage, inspect_local, inspect_remote
from bot.docker.reference import parse_reference
from bot.framework.context import Context
from bot.framework.subcommand import subcommand

EXAMPLE_REF = "nginx:1.27"


@subcommand(
    "docker inspect",
    example=f"{PREFIX} docker inspect {EXAMPLE_REF}",
    forms=("<image-ref>",),
    slow=True,
    validate=lambda cmd: parse_reference(cmd.args[0]),  # a malformed reference never reaches the engine
    needs=(Need.DOCKER,),
)
def docker_inspect(ctx: Context, cmd: Command) -> Reply:
    """Show an image on the bot's Docker host: id, tags, digests, size, platform, layers, entrypoint, ports."""
    ref = parse_reference(cmd.args[0])  # a malformed reference never reaches the engine
    return local_reply(inspect_local(ctx.services.docker.client(), ref))


@subcommand(
    "docker remote",
    example=f"{PREFIX} docker remote {EXAMPLE_REF}",
    forms=("<image-ref>",),
    slow=True,
    validate=lambda cmd: parse_reference(cmd.args[0]),  # a malformed reference never reaches the engine
    needs=(Need.DOCKER,),
)
def docker_remote(ctx: Context, cmd: Command) -> Reply:
    """Show what the registry has for an image without pulling it: digest, media type, platforms."""
    ref = parse_reference(cmd.args[0])
    return remote_reply(inspect_remote(ctx.services.docker.client(), ref))


def local_reply(image: LocalImage) -> Reply:
    return Reply(parts=[Header(f"Local image {image.ref}"), Fields(local_fields(image)), Footer(local_footer(image))])


def remote_reply(image: RemoteImage) -> Reply:
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
