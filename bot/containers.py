"""Docker operations over the Docker SDK: reference parsing, pull with progress, inspect.

- `parse_reference("nginx")` -> `ImageRef` for `docker.io/library/nginx:latest`,
  or a `CommandError` that names what is wrong and shows a good reference.
- `pull_image(client, ref, platform, on_progress)` streams the engine's pull
  events and calls `on_progress(fraction, stage, detail)` as they arrive;
  errors the engine reports inside the stream become a `DockerError`.
- `inspect_local(client, ref)` and `inspect_remote(client, ref)` describe an
  image on the Docker host, or in its registry without pulling it.
- `docker_client(services)` is the engine client, or a clear "cannot reach
  the engine at DOCKER_HOST" error.

Every expected failure is a `DockerError` (a `CommandError`) whose `kind`
says which one it is, so a job can decide whether a retry may help.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import docker
import docker.errors
import requests.exceptions

from bot.errors import CommandError

if TYPE_CHECKING:
    from bot.services import Services

ProgressCallback = Callable[[float, str, dict[str, Any]], None]

DEFAULT_DOMAIN = "docker.io"
LEGACY_DOMAINS = ("index.docker.io", "registry-1.docker.io")
OFFICIAL_NAMESPACE = "library"
DEFAULT_TAG = "latest"
MAX_NAME = 255
EXAMPLES = "`nginx:1.27`, `ghcr.io/acme/api:2.3.1` or `registry.example.com:5000/team/app@sha256:<64 hex digits>`"
DEFAULT_SOCKET = "unix:///var/run/docker.sock"

# ------------------------------------------------------------------ grammar
# Written from the distribution reference grammar:
#   reference  := name [":" tag] ["@" digest]
#   name       := [domain "/"] path      (at most 255 characters)
#   domain     := host [":" port]        host: DNS labels, IPv4, or [IPv6]
#   path       := component ("/" component)*
#   component  := [a-z0-9]+ (separator [a-z0-9]+)*   separator: "." | "_" | "__" | "-"+
#   tag        := [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}
#   digest     := algorithm ":" hex      algorithm: [A-Za-z][A-Za-z0-9]* joined by + . _ -

_LABEL = r"(?:[A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9])"
_HOST = rf"(?:{_LABEL}(?:\.{_LABEL})*|\[[0-9A-Fa-f:.]+\])"
DOMAIN = re.compile(rf"{_HOST}(?::[0-9]+)?")
COMPONENT = re.compile(r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*")
TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")
DIGEST = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}")
DIGEST_HEX_LENGTH = {"sha256": 64, "sha384": 96, "sha512": 128}
PLATFORM = re.compile(r"[a-z0-9_]+/[a-z0-9_]+(?:/[a-z0-9_]+)?")


@dataclass(frozen=True)
class ImageRef:
    """A validated, normalised image reference."""

    domain: str
    path: str
    tag: str | None = None
    digest: str | None = None

    @property
    def repository(self) -> str:
        """`docker.io/library/nginx`: the name without tag or digest."""
        return f"{self.domain}/{self.path}"

    @property
    def version(self) -> str:
        """What the engine's pull takes as `tag`: the digest when there is one, else the tag."""
        return self.digest or self.tag or DEFAULT_TAG

    @property
    def pinned(self) -> str:
        """The reference the engine resolves locally after a pull (by digest when given)."""
        return f"{self.repository}@{self.digest}" if self.digest else f"{self.repository}:{self.tag}"

    def __str__(self) -> str:
        tag = f":{self.tag}" if self.tag else ""
        digest = f"@{self.digest}" if self.digest else ""
        return f"{self.repository}{tag}{digest}"


def parse_reference(text: str) -> ImageRef:
    """Validate and normalise an image reference; a malformed one raises a friendly CommandError."""
    ref = text.strip()
    if not ref:
        raise _bad(text, "it is empty")
    if any(c.isspace() for c in ref):
        raise _bad(text, "it contains a space")
    name, digest = _split_digest(text, ref)
    name, tag = _split_tag(text, name)
    domain, path = _split_domain(name)
    _check_domain(text, domain)
    _check_path(text, path)
    if len(name) > MAX_NAME:
        raise _bad(text, f"the name is {len(name)} characters long; at most {MAX_NAME} are allowed")
    return _normalise(domain, path, tag, digest)


def _bad(text: str, why: str) -> CommandError:
    shown = text.strip()[:80] or "(nothing)"
    return CommandError(f"`{shown}` is not a valid image reference: {why}. Write it like {EXAMPLES}.")


def _split_digest(text: str, ref: str) -> tuple[str, str | None]:
    name, at, digest = ref.partition("@")
    if not at:
        return name, None
    if "@" in digest:
        raise _bad(text, "it has more than one `@`")
    if not DIGEST.fullmatch(digest):
        raise _bad(text, f"`{digest[:80]}` is not a digest (expected `sha256:` and 64 hex digits)")
    algorithm, _, hexa = digest.partition(":")
    expected = DIGEST_HEX_LENGTH.get(algorithm.lower())
    if expected and len(hexa) != expected:
        raise _bad(text, f"a {algorithm} digest has {expected} hex digits, this one has {len(hexa)}")
    return name, digest.lower() if expected else digest


def _split_tag(text: str, name: str) -> tuple[str, str | None]:
    head, slash, last = name.rpartition("/")
    last, colon, tag = last.partition(":")
    if not colon:
        return name, None
    if not TAG.fullmatch(tag):
        why = "the tag is empty" if not tag else f"`{tag[:80]}` is not a valid tag"
        raise _bad(text, f"{why} (letters, digits, `_`, `.` and `-`, at most 128, not starting with `.` or `-`)")
    return head + slash + last, tag


def _split_domain(name: str) -> tuple[str | None, str]:
    first, slash, rest = name.partition("/")
    # Docker also takes an uppercase first part for a host; here that is a repository name to correct.
    if slash and ("." in first or ":" in first or first == "localhost"):
        return first, rest
    return None, name


def _check_domain(text: str, domain: str | None) -> None:
    if domain is None:
        return
    if not DOMAIN.fullmatch(domain):
        raise _bad(text, f"`{domain[:80]}` is not a registry host (like `ghcr.io` or `localhost:5000`)")
    port = domain.rpartition("]")[2].partition(":")[2] if domain.startswith("[") else domain.partition(":")[2]
    if port and not 0 < int(port) < 65536:
        raise _bad(text, f"port {port} is out of range")


def _check_path(text: str, path: str) -> None:
    if not path:
        raise _bad(text, "the repository name is missing")
    for component in path.split("/"):
        if COMPONENT.fullmatch(component):
            continue
        if not component:
            raise _bad(text, "it has an empty path part (`//`, or a `/` at the start or end)")
        if component != component.lower() and COMPONENT.fullmatch(component.lower()):
            raise _bad(text, f"repository names are lowercase: `{component}` should be `{component.lower()}`")
        raise _bad(
            text,
            f"`{component[:80]}` is not a valid repository name part "
            "(lowercase letters and digits, separated by `.`, `_`, `__` or dashes)",
        )


def _normalise(domain: str | None, path: str, tag: str | None, digest: str | None) -> ImageRef:
    if domain is None or domain in LEGACY_DOMAINS:
        domain = DEFAULT_DOMAIN
    if domain == DEFAULT_DOMAIN and "/" not in path:
        path = f"{OFFICIAL_NAMESPACE}/{path}"
    if tag is None and digest is None:
        tag = DEFAULT_TAG
    return ImageRef(domain, path, tag, digest)


def parse_platform(text: str) -> str:
    """`linux/arm64` or `linux/arm/v7`, lowercased; anything else is a friendly CommandError."""
    platform = text.strip().lower()
    if not PLATFORM.fullmatch(platform):
        raise CommandError(
            f"`{text[:40]}` is not a platform. Write it as os/architecture, like `linux/amd64` or `linux/arm64`."
        )
    return platform


# ------------------------------------------------------------------- errors


class DockerError(CommandError):
    """An expected Docker failure. `kind`: engine, not_found, auth, unreachable, platform, refused."""

    def __init__(self, message: str, kind: str) -> None:
        super().__init__(message)
        self.kind = kind

    @property
    def transient(self) -> bool:
        """Whether trying again later may succeed (an engine or registry that did not answer)."""
        return self.kind in ("engine", "unreachable")


NOT_FOUND_SIGNS = ("manifest unknown", "not found: manifest", "name unknown", "repository does not exist")
AUTH_SIGNS = ("unauthorized", "authentication required", "no basic auth credentials", "denied")
PLATFORM_SIGNS = ("no matching manifest", "does not match the specified platform", "no match for platform")
UNREACHABLE_SIGNS = (
    "dial tcp",
    "connection refused",
    "no such host",
    "i/o timeout",
    "tls handshake",
    "server gave http response to https client",
    "x509:",
    "context deadline exceeded",
    "network is unreachable",
    "connection reset",
)


def explain_registry_error(message: str, ref: ImageRef, platform: str | None = None) -> DockerError:
    """The engine's error text for a registry operation, in plain language with what to do next."""
    low = message.lower()
    if "pull access denied" in low or "repository does not exist" in low:
        return DockerError(
            f"`{ref.repository}` does not exist, or it is private and the Docker host is not logged in to "
            f"`{ref.domain}`. Check the name; for a private image run `docker login {ref.domain}` on the host. "
            f"(Engine: {_engine_words(message)})",
            "not_found",
        )
    if any(sign in low for sign in NOT_FOUND_SIGNS):
        return DockerError(
            f"`{ref}` was not found: the registry has no `{ref.version}` in `{ref.repository}`, or no such "
            f"repository at all. Check the tag and the repository name, e.g. `/image docker remote "
            f"{ref.repository}:latest`. (Engine: {_engine_words(message)})",
            "not_found",
        )
    if any(sign in low for sign in AUTH_SIGNS):
        return DockerError(
            f"`{ref.domain}` wants credentials for `{ref.repository}`. Run `docker login {ref.domain}` on the "
            f"bot's Docker host (as the user the engine's client config belongs to), then try again. "
            f"(Engine: {_engine_words(message)})",
            "auth",
        )
    if any(sign in low for sign in PLATFORM_SIGNS):
        return no_platform(ref, platform or "the requested platform", engine=message)
    if any(sign in low for sign in UNREACHABLE_SIGNS):
        return DockerError(
            f"The Docker host cannot reach the registry `{ref.domain}`. Check its name and port, and the "
            f"host's network, proxy and TLS settings. (Engine: {_engine_words(message)})",
            "unreachable",
        )
    return DockerError(f"The Docker engine refused `{ref}`: {_engine_words(message)}", "refused")


def no_platform(ref: ImageRef, platform: str, offered: str = "", engine: str = "") -> DockerError:
    has = f" It has {offered}." if offered else ""
    said = f" (Engine: {_engine_words(engine)})" if engine else ""
    return DockerError(
        f"`{ref}` has no image for `{platform}`.{has} Pick one it has "
        f"(`/image docker remote {ref}` lists them), or leave out `--platform`.{said}",
        "platform",
    )


def _engine_words(message: str) -> str:
    return message.strip().rstrip(".")[:300]


def engine_unreachable(host: str | None, detail: str = "") -> DockerError:
    where = host or f"{DEFAULT_SOCKET} (Docker's default; set DOCKER_HOST to use another)"
    extra = f" ({detail[:200]})" if detail else ""
    return DockerError(
        f"I can't reach the Docker engine at `{where}`{extra}. Check that dockerd is running there, that "
        "DOCKER_HOST points at it, and that the bot's user may use the socket (`docker version` on the bot's "
        "host should answer).",
        "engine",
    )


def docker_client(services: Services) -> docker.DockerClient:
    """The engine client; an engine that does not answer is a clear DockerError naming DOCKER_HOST."""
    try:
        return services.docker
    except docker.errors.DockerException as exc:
        raise engine_unreachable(services.settings.docker_host, _first_line(exc)) from exc


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def _host_of(client: docker.DockerClient) -> str:
    return str(getattr(client.api, "base_url", "") or "") or DEFAULT_SOCKET


@contextmanager
def engine_errors(client: docker.DockerClient, ref: ImageRef, local: bool = False) -> Iterator[None]:
    """Turn the SDK's named errors inside the block into DockerErrors."""
    try:
        yield
    except docker.errors.ImageNotFound as exc:
        if not local:
            raise explain_registry_error(exc.explanation or str(exc), ref) from exc
        raise not_on_host(ref) from exc
    except docker.errors.APIError as exc:
        raise explain_registry_error(str(exc.explanation or exc), ref) from exc
    except requests.exceptions.ReadTimeout as exc:
        raise DockerError(
            f"The Docker engine at `{_host_of(client)}` did not answer in time. Try again in a minute.", "engine"
        ) from exc
    except requests.exceptions.ConnectionError as exc:
        raise engine_unreachable(_host_of(client), _first_line(exc)) from exc


def not_on_host(ref: ImageRef) -> DockerError:
    return DockerError(
        f"`{ref}` is not on the bot's Docker host. Pull it with `/image pull {ref}`, or see what the "
        f"registry has without pulling: `/image docker remote {ref}`.",
        "not_found",
    )


# ------------------------------------------------------------------ progress

DOWNLOAD_SHARE = 0.6  # a layer's progress: downloading fills 0..0.6, extracting 0.6..1
ALMOST = 0.99  # the most a pull shows before the engine has confirmed it
PENDING_STATES = ("Pulling fs layer", "Waiting")
DONE_STATES = ("Pull complete", "Already exists")


@dataclass
class Layer:
    downloaded: int = 0
    size: int | None = None
    score: float = 0.0
    done: bool = False


@dataclass
class PullTracker:
    """Folds the engine's pull events into layers done/total, bytes and a monotonic fraction."""

    layers: dict[str, Layer] = field(default_factory=dict)
    fraction: float = 0.0
    stage: str = "resolving"
    digest: str | None = None
    status: str | None = None
    last_layer: str = ""
    last_status: str = ""

    def feed(self, event: dict[str, Any]) -> bool:
        """Take one event; True when the progress it shows changed."""
        status = str(event.get("status") or "")
        if status.startswith("Digest: "):
            self.digest = status.removeprefix("Digest: ").strip()
            return False
        if status.startswith("Status: "):
            self.status = status.removeprefix("Status: ").strip()
            return False
        layer_id = event.get("id")
        if not layer_id or not self._is_layer_event(status):
            return False
        before = (self.fraction, self.stage, self.layers_done, self.bytes_downloaded)
        self._apply(self.layers.setdefault(str(layer_id), Layer()), status, event.get("progressDetail") or {})
        self.last_layer, self.last_status = str(layer_id), status
        self.fraction = max(self.fraction, min(ALMOST, self._computed()))
        return (self.fraction, self.stage, self.layers_done, self.bytes_downloaded) != before

    @staticmethod
    def _is_layer_event(status: str) -> bool:
        return status in (*PENDING_STATES, *DONE_STATES) or status.startswith(
            ("Downloading", "Verifying", "Download complete", "Extracting", "Retrying")
        )

    def _apply(self, layer: Layer, status: str, detail: dict[str, Any]) -> None:
        current, total = int(detail.get("current") or 0), int(detail.get("total") or 0)
        if status == "Downloading":
            layer.size = total or layer.size
            layer.downloaded = min(current, total) if total else current
            layer.score = max(layer.score, DOWNLOAD_SHARE * (current / total if total else 0))
            self.stage = "downloading"
        elif status in ("Verifying Checksum", "Download complete"):
            layer.downloaded = layer.size or layer.downloaded
            layer.score = max(layer.score, DOWNLOAD_SHARE)
            self.stage = "verifying" if status.startswith("Verifying") else self.stage
        elif status == "Extracting":
            layer.score = max(layer.score, DOWNLOAD_SHARE + (1 - DOWNLOAD_SHARE) * (current / total if total else 0))
            self.stage = "extracting"
        elif status in DONE_STATES:
            layer.downloaded = layer.size or layer.downloaded
            layer.score, layer.done = 1.0, True
        elif status.startswith("Retrying"):
            self.stage = "retrying"
        elif self.stage == "resolving":
            self.stage = "downloading"

    def _computed(self) -> float:
        return sum(layer.score for layer in self.layers.values()) / len(self.layers) if self.layers else 0.0

    @property
    def layers_done(self) -> int:
        return sum(1 for layer in self.layers.values() if layer.done)

    @property
    def bytes_downloaded(self) -> int:
        return sum(layer.downloaded for layer in self.layers.values())

    @property
    def bytes_total(self) -> int:
        """The sizes the engine has announced so far (small layers may never announce theirs)."""
        return sum(layer.size or 0 for layer in self.layers.values())

    def detail(self) -> dict[str, Any]:
        return {
            "layers_done": self.layers_done,
            "layers_total": len(self.layers),
            "bytes_downloaded": self.bytes_downloaded,
            "bytes_total": self.bytes_total,
            "layer": self.last_layer,
            "status": self.last_status,
        }


def describe_progress(stage: str, detail: dict[str, Any]) -> str:
    """One line for a progress message: `downloading · 2/4 layers · 12.0 MB of 48.1 MB`."""
    parts = [stage]
    if detail.get("layers_total"):
        parts.append(f"{detail['layers_done']}/{detail['layers_total']} layers")
    if detail.get("bytes_total"):
        parts.append(f"{human_size(detail['bytes_downloaded'])} of {human_size(detail['bytes_total'])}")
    return " · ".join(parts)


def throttled(on_progress: ProgressCallback, seconds: float = 1.0) -> ProgressCallback:
    """Pass on stage changes, the end and at most one update per `seconds` (for writers to Redis/Slack)."""
    last: dict[str, Any] = {"at": 0.0, "stage": None}

    def forward(fraction: float, stage: str, detail: dict[str, Any]) -> None:
        now = time.monotonic()
        if fraction >= 1.0 or stage != last["stage"] or now - last["at"] >= seconds:
            last["at"], last["stage"] = now, stage
            on_progress(fraction, stage, detail)

    return forward


# ---------------------------------------------------------------------- pull


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
    offered = [_platform_name(p) for p in data.attrs.get("Platforms") or []]
    if offered and not any(_same_platform(platform, p) for p in offered):
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
    actual = _image_platform(attrs)
    if platform and not _same_platform(platform, actual):
        raise no_platform(ref, platform, actual)
    return PullResult(
        ref=str(ref),
        digest=tracker.digest,
        image_id=str(attrs.get("Id", "")),
        size=int(attrs.get("Size") or 0),
        platform=actual,
        created=_when(attrs.get("Created")),
        layers=len((attrs.get("RootFS") or {}).get("Layers") or []),
        up_to_date=tracker.status.startswith("Image is up to date"),
    )


def _same_platform(wanted: str, actual: str) -> bool:
    """`linux/arm64` matches `linux/arm64/v8`; a variant asked for must match."""
    want, have = wanted.split("/"), actual.split("/")
    return want[:2] == have[:2] and (len(want) < 3 or want == have)


def _platform_name(p: dict[str, Any]) -> str:
    parts = [p.get("os") or p.get("OS") or "?", p.get("architecture") or p.get("Architecture") or "?"]
    variant = p.get("variant") or p.get("Variant")
    return "/".join([*parts, variant] if variant else parts)


def _image_platform(attrs: dict[str, Any]) -> str:
    keys = {"os": attrs.get("Os"), "architecture": attrs.get("Architecture"), "variant": attrs.get("Variant")}
    return _platform_name(keys)


# ------------------------------------------------------------------- inspect


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
        platform=_image_platform(attrs),
        created=_when(attrs.get("Created")),
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
        platforms=tuple(_platform_name(p) for p in data.attrs.get("Platforms") or []),
    )


# ------------------------------------------------------------------- helpers


def human_size(size: int) -> str:
    """Bytes in decimal units, like the docker CLI: `512 B`, `12.3 MB`."""
    value = float(size)
    for unit in ("B", "kB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{int(value)} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{value:.1f} GB"


def _when(created: Any) -> str:
    """The engine's RFC 3339 time, shortened to the second: `2024-05-01 12:03:04 UTC`."""
    text = str(created or "")
    match = re.match(r"(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})", text)
    return f"{match.group(1)} {match.group(2)} UTC" if match else (text or "unknown")
