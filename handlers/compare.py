"""`/image compare`: Docker image versus AMI at a glance, one topic in depth, or a real AMI with a real image."""

from __future__ import annotations

from bot.aws.images import validate_ami_id
from bot.aws.regions import validate_region
from bot.core.command import PREFIX, Command
from bot.core.errors import CommandError
from bot.core.formatting import closest, did_you_mean, human_size
from bot.core.markup import md, mention
from bot.core.needs import Need
from bot.core.parts import Buttons, Fields, Footer, Header, Part, Text
from bot.core.reply import Reply
from bot.core.text import echo
from bot.docker.errors import DockerError
from bot.docker.inspect import inspect_local, inspect_remote
from bot.docker.reference import ImageRef, parse_reference
from bot.framework.context import Context
from bot.framework.options import Flag
from bot.framework.options import Text as TextOption
from bot.framework.subcommand import subcommand
from handlers.shared.ami import is_id_target, resolve_ami
from handlers.shared.topics import related_buttons, share_button
from knowledge.base import Dimension, load_dimensions

DOCKER = "Docker image"
AMI = "AMI"
DockerSide = tuple[str, str, str, str, str]
IMAGE_MARKS = (":", "@", "/")  # a word with one of these is plainly an image reference (tag, digest, registry)


@subcommand(
    "compare",
    example=f"{PREFIX} compare startup",
    forms=("[topic...] [--shared]", "<ami-id | name> <image-ref> [--region]"),
    options={"shared": Flag(), "region": TextOption(convert=validate_region)},
    slow=lambda cmd: concrete_pair(cmd.args) is not None,  # the concrete comparison asks AWS and Docker
    validate=lambda cmd: validate_concrete(cmd) if concrete_pair(cmd.args) else None,
    needs=lambda cmd: (Need.DOCKER, Need.AWS) if concrete_pair(cmd.args) else (),
)
def compare(ctx: Context, cmd: Command) -> Reply:
    """Compare Docker images and AMIs side by side, one topic in depth, or one real AMI with one real image."""
    pair = concrete_pair(cmd.args)
    if pair:
        return concrete_reply(ctx, pair[0], pair[1], cmd.option("region"))
    if len(cmd.args) == 1 and is_id_target(cmd.args[0]):
        raise CommandError(
            f"To compare a real AMI with a real image, name both: `{PREFIX} compare {echo(cmd.args[0])} nginx:1.27`."
        )
    shared = cmd.flag("shared")
    if cmd.args:
        return dimension_reply(find_dimension(" ".join(cmd.args)), ctx, shared)
    return table_reply(ctx, shared)


def concrete_pair(args: tuple[str, ...]) -> tuple[str, str] | None:
    """(AMI, image) when the words ask for the concrete comparison, else None (the words are a topic).

    Only two words can be one: the first an AMI id (`ami-…`), or an AMI name when the second is
    plainly an image reference (it has a tag, a digest or a registry path) and the two words are not
    a topic. `compare boot time` is the topic "boot time", never an AMI named `boot`.
    """
    if len(args) != 2:
        return None
    if is_id_target(args[0]):
        return args[0], args[1]
    if any(mark in args[1] for mark in IMAGE_MARKS) and dimension_key(" ".join(args)) is None:
        return args[0], args[1]
    return None


def validate_concrete(cmd: Command) -> None:
    """The AMI and the image reference, before AWS or Docker is asked anything."""
    pair = concrete_pair(cmd.args)
    if pair and is_id_target(pair[0]):
        validate_ami_id(pair[0])
    if pair:
        parse_reference(pair[1])


def table_reply(ctx: Context, shared: bool) -> Reply:
    parts: list[Part] = [Header(f"{DOCKER} vs {AMI}")]
    for dim in load_dimensions():
        parts.append(Text(f"*{dim.name}*"))
        parts.append(Fields(((DOCKER, dim.docker), (AMI, dim.ami))))
    names = " · ".join(f"`{d.id}`" for d in load_dimensions())
    parts.append(Footer(f"Dimensions: {names}. More on one: `{PREFIX} compare startup`."))
    return _finish(parts, f"{PREFIX} compare --shared", ctx, shared)


def dimension_reply(dim: Dimension, ctx: Context, shared: bool) -> Reply:
    parts: list[Part] = [
        Header(f"{dim.name}: {DOCKER} vs {AMI}"),
        Fields(((DOCKER, dim.docker), (AMI, dim.ami))),
        Text(dim.detail),
    ]
    buttons = related_buttons(dim.related)
    if buttons:
        parts.append(Footer("Related topics:"))
        parts.append(Buttons(tuple(buttons)))
    return _finish(parts, f"{PREFIX} compare {dim.id} --shared", ctx, shared)


def _finish(parts: list[Part], share_text: str, ctx: Context, shared: bool) -> Reply:
    if shared:
        parts.append(Footer(md("Shared by {}", mention(ctx.user_id))))
    else:
        parts.append(Buttons((share_button(share_text),)))
    return Reply(parts=parts, ephemeral=not shared)


def concrete_reply(ctx: Context, target: str, image_ref: str, region: str | None) -> Reply:
    """One real AMI (by id or name) next to one real Docker image (the local copy, else what the registry says)."""
    if is_id_target(target):
        validate_ami_id(target)  # a malformed id or reference never reaches AWS or Docker
    region = region or ctx.settings.aws_region
    ref = parse_reference(image_ref)
    image = resolve_ami(ctx, target, region)
    ami_id = image.id
    docker_side = _docker_side(ctx, ref)
    data = image.data
    root = next(
        (m for m in data.get("BlockDeviceMappings") or [] if m.get("DeviceName") == data.get("RootDeviceName")), None
    )
    size = f"{root['Ebs'].get('VolumeSize')} GiB root volume" if root and root.get("Ebs") else "—"
    ami_side = (
        data.get("Architecture") or "—",
        str(data.get("CreationDate") or "—"),
        size,
        f"EC2 in {region} (copy it to use it elsewhere)",
        f"{ami_id} ({data.get('PlatformDetails') or data.get('Platform') or 'Linux/UNIX'})",
    )
    rows = ("Architecture / platform", "Created", "Size", "Where it lives", "Identity")
    parts: list[Part] = [Header(f"{image.name or ami_id} vs {ref}")]
    for label, ami_value, docker_value in zip(rows, ami_side, docker_side, strict=True):
        parts.append(Text(f"*{label}*"))
        parts.append(Fields(((f"AMI {ami_id}", ami_value), (f"Image {ref.path}", docker_value))))
    parts.append(Footer(f"The general comparison: `{PREFIX} compare`; one dimension: `{PREFIX} compare portability`."))
    return Reply(parts=parts)


def _docker_side(ctx: Context, ref: ImageRef) -> DockerSide:
    """The image on the bot's Docker host; only when it is not there, what its registry says."""
    client = ctx.services.docker.client()
    try:
        local = inspect_local(client, ref)
    except DockerError as exc:
        if exc.kind != "not_found":
            raise  # the engine failed: asking the registry through it would only hide why
        remote = inspect_remote(client, ref)
        return (
            ", ".join(remote.platforms) or "—",
            "— (not pulled)",
            human_size(remote.size) + " (manifest)",
            f"registry `{ref.domain}`",
            remote.digest,
        )
    return (
        local.platform,
        local.created or "—",
        human_size(local.size),
        "this bot's Docker host",
        (local.digests or (local.image_id,))[0],
    )


def dimension_key(name: str) -> Dimension | None:
    """A topic by id, name or alias, exactly (case, `_` and spaces forgiven)."""
    return _by_key().get(_key(name))


def _key(name: str) -> str:
    return " ".join(name.lower().replace("_", "-").split())


def _by_key() -> dict[str, Dimension]:
    by_key: dict[str, Dimension] = {}
    for dim in load_dimensions():
        for key in (dim.id, dim.name.lower(), *(a.lower() for a in dim.aliases)):
            by_key.setdefault(_key(key), dim)
    return by_key


def find_dimension(name: str) -> Dimension:
    """A topic by id, name or alias, forgiving typos; else "no such topic" with the nearest ones."""
    exact = dimension_key(name)
    if exact is not None:
        return exact
    by_key = _by_key()
    wanted = _key(name)
    close = closest(wanted, by_key, n=1, cutoff=0.7)
    if close:
        return by_key[close[0]]
    near = list(dict.fromkeys(by_key[k].id for k in closest(wanted, by_key, n=6, cutoff=0.45)))[:2]
    hint = did_you_mean(near, show=lambda i: f"`{PREFIX} compare {i}`")
    names = ", ".join(f"`{d.id}`" for d in load_dimensions())
    raise CommandError(
        f"There is no comparison topic `{echo(name)}`.{hint} Topics: {names}, e.g. `{PREFIX} compare isolation`."
    )
