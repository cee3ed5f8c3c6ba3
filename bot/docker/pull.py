"""Pulling an image with live progress; the result is checked against the engine, never assumed."""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import closing
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot.core.formatting import human_size
from bot.docker.errors import DockerError, engine_errors, explain_registry_error, no_platform
from bot.docker.inspect import engine_time
from bot.docker.platforms import image_platform, parse_platform, platform_name, same_platform
from bot.docker.progress import ProgressCallback, PullTracker
from bot.docker.reference import ImageRef, parse_reference

if TYPE_CHECKING:  # the SDK is imported with the engine client (bot.docker.engine)
    import docker


@dataclass(frozen=True)
class PullResult:
    ref: str
    digest: str
    image_id: str
    size: int
    platform: str
    created: str
    layers: int
    up_to_date: bool

    @property
    def summary(self) -> str:
        if self.up_to_date:
            return f"`{self.ref}` is already up to date on the Docker host."
        return f"Pulled `{self.ref}`."

    def fields(self) -> tuple[tuple[str, str], ...]:
        return (
            ("Digest", f"`{self.digest}`"),
            ("Size", human_size(self.size)),
            ("Platform", self.platform),
            ("Created", self.created),
            ("Layers", str(self.layers)),
            ("Up to date already", "yes" if self.up_to_date else "no, downloaded now"),
        )


def pull_image(
    client: docker.DockerClient,
    ref: str | ImageRef,
    platform: str | None = None,
    on_progress: ProgressCallback | None = None,
) -> PullResult:
    """Pull an image, reporting progress as the engine streams it; the result is checked, never assumed."""
    image_ref = parse_reference(ref) if isinstance(ref, str) else ref
    wanted = parse_platform(platform) if platform else None
    report = on_progress or _ignore
    report(0.0, "resolving", PullTracker().detail())
    if wanted:
        _check_platform_offered(client, image_ref, wanted)
    tracker = PullTracker()
    with engine_errors(client, image_ref):
        events = client.api.pull(image_ref.repository, tag=image_ref.version, platform=wanted, stream=True, decode=True)
        with closing(events):  # a callback that raises (a cancelled job) drops the stream, and the engine stops
            _follow(events, tracker, image_ref, wanted, report)
    report(tracker.fraction, "verifying", tracker.detail())
    result = _verify(client, image_ref, tracker, wanted)
    report(1.0, "complete", tracker.detail())
    return result


def _ignore(fraction: float, stage: str, detail: dict[str, Any]) -> None:
    return None


def _follow(
    events: Iterable[dict[str, Any]],
    tracker: PullTracker,
    ref: ImageRef,
    platform: str | None,
    report: ProgressCallback,
) -> None:
    for event in events:
        if "error" in event:
            message = str((event.get("errorDetail") or {}).get("message") or event["error"])
            raise explain_registry_error(message, ref, platform)
        if tracker.feed(event):
            report(tracker.fraction, tracker.stage, tracker.detail())


def _check_platform_offered(client: docker.DockerClient, ref: ImageRef, platform: str) -> None:
    with engine_errors(client, ref):
        data = client.images.get_registry_data(str(ref))
    offered = [platform_name(p) for p in data.attrs.get("Platforms") or []]
    if offered and not any(same_platform(platform, p) for p in offered):
        raise no_platform(ref, platform, ", ".join(offered))


def _verify(client: docker.DockerClient, ref: ImageRef, tracker: PullTracker, platform: str | None) -> PullResult:
    """Make sure the engine confirmed this pull and the local image is the one the registry named."""
    if tracker.status is None or tracker.digest is None:
        raise DockerError(
            f"The engine ended the pull of `{ref}` without confirming it, so I am not calling it a success. "
            "Try again; if it keeps happening, check the engine's log.",
            "engine",
        )
    if ref.digest and tracker.digest != ref.digest:
        raise DockerError(f"The registry sent `{tracker.digest}` for `{ref}`, not the digest asked for.", "refused")
    with engine_errors(client, ref, local=True):
        attrs = client.images.get(ref.pinned).attrs
    if tracker.digest not in {d.partition("@")[2] for d in attrs.get("RepoDigests") or []}:
        raise DockerError(
            f"The image now tagged `{ref}` on the host does not carry the digest the registry sent "
            f"(`{tracker.digest}`); not reporting an older image as pulled. Try the pull again.",
            "refused",
        )
    actual = image_platform(attrs)
    if platform and not same_platform(platform, actual):
        raise no_platform(ref, platform, actual)
    return PullResult(
        ref=str(ref),
        digest=tracker.digest,
        image_id=str(attrs.get("Id", "")),
        size=int(attrs.get("Size") or 0),
        platform=actual,
        created=engine_time(attrs.get("Created")),
        layers=len((attrs.get("RootFS") or {}).get("Layers") or []),
        up_to_date=tracker.status.startswith("Image is up to date"),
    )
