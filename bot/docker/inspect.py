"""Describing an image: on the Docker host, or in its registry without pulling it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot.docker.errors import engine_errors
from bot.docker.platforms import image_platform, platform_name
from bot.docker.reference import ImageRef, parse_reference

if TYPE_CHECKING:  # the SDK is imported with the engine client (bot.docker.engine)
    import docker


@dataclass(frozen=True)
class LocalImage:
    ref: str
    image_id: str
    tags: tuple[str, ...]
    digests: tuple[str, ...]
    size: int
    platform: str
    created: str
    layers: int
    entrypoint: tuple[str, ...]
    cmd: tuple[str, ...]
    ports: tuple[str, ...]


def inspect_local(client: docker.DockerClient, ref: str | ImageRef) -> LocalImage:
    """What the Docker host has under this reference."""
    image_ref = parse_reference(ref) if isinstance(ref, str) else ref
    with engine_errors(client, image_ref, local=True):
        attrs = client.images.get(image_ref.pinned).attrs
    config = attrs.get("Config") or {}
    return LocalImage(
        ref=str(image_ref),
        image_id=str(attrs.get("Id", "")),
        tags=tuple(attrs.get("RepoTags") or ()),
        digests=tuple(attrs.get("RepoDigests") or ()),
        size=int(attrs.get("Size") or 0),
        platform=image_platform(attrs),
        created=engine_time(attrs.get("Created")),
        layers=len((attrs.get("RootFS") or {}).get("Layers") or []),
        entrypoint=tuple(config.get("Entrypoint") or ()),
        cmd=tuple(config.get("Cmd") or ()),
        ports=tuple(sorted(config.get("ExposedPorts") or {})),
    )


@dataclass(frozen=True)
class RemoteImage:
    ref: str
    digest: str
    media_type: str
    size: int
    platforms: tuple[str, ...]

    @property
    def is_index(self) -> bool:
        """A multi-platform index (manifest list) rather than one image's manifest."""
        return "list" in self.media_type or "index" in self.media_type


def inspect_remote(client: docker.DockerClient, ref: str | ImageRef) -> RemoteImage:
    """What the registry says about this reference, without pulling it."""
    image_ref = parse_reference(ref) if isinstance(ref, str) else ref
    with engine_errors(client, image_ref):
        data = client.images.get_registry_data(str(image_ref))
    descriptor = data.attrs.get("Descriptor") or {}
    return RemoteImage(
        ref=str(image_ref),
        digest=str(descriptor.get("digest") or data.id),
        media_type=str(descriptor.get("mediaType") or "unknown"),
        size=int(descriptor.get("size") or 0),
        platforms=tuple(platform_name(p) for p in data.attrs.get("Platforms") or []),
    )


def engine_time(created: Any) -> str:
    """The engine's RFC 3339 time, shortened to the second: `2024-05-01 12:03:04 UTC`."""
    text = str(created or "")
    match = re.match(r"(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})", text)
    return f"{match.group(1)} {match.group(2)} UTC" if match else (text or "unknown")
