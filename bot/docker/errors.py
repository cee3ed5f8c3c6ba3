"""Expected Docker failures, in plain language, each with a `kind` that says whether a retry may help."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from bot.core.errors import CommandError
from bot.docker.reference import ImageRef

if TYPE_CHECKING:  # the SDK is imported with the engine client (bot.docker.engine), not at start-up
    import docker

DEFAULT_SOCKET = "unix:///var/run/docker.sock"
log = logging.getLogger(__name__)


class DockerError(CommandError):
    """An expected Docker failure. `kind`: engine, not_found, auth, unreachable, platform, refused."""

    def __init__(self, message: str, kind: str) -> None:
        # an engine or registry that did not answer may answer later; a job retries those only while
        # its engine answers the worker's check (bot.worker.execute), so a stopped engine fails at once
        super().__init__(message, transient=kind in ("engine", "unreachable"))
        self.kind = kind


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


def engine_unreachable(host: str | None) -> DockerError:
    """One line: where the engine was looked for, and what to do (the SDK's own words go to the log)."""
    return DockerError(
        f"The Docker engine is not reachable at `{host or DEFAULT_SOCKET}`. Start it, or set DOCKER_HOST.", "engine"
    )


def first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def _host_of(client: docker.DockerClient) -> str:
    """The engine's address as DOCKER_HOST writes it (`unix:///…` for a socket, not docker-py's placeholder)."""
    socket_path = getattr(getattr(client.api, "_custom_adapter", None), "socket_path", None)
    if socket_path:
        return f"unix://{socket_path}"
    return str(getattr(client.api, "base_url", "") or "") or DEFAULT_SOCKET


@contextmanager
def engine_errors(client: docker.DockerClient, ref: ImageRef, local: bool = False) -> Iterator[None]:
    """Turn the SDK's named errors inside the block into DockerErrors."""
    import docker.errors  # loaded already: there is a client
    import requests.exceptions
    import urllib3.exceptions

    cut_off = (urllib3.exceptions.ProtocolError, requests.exceptions.ChunkedEncodingError)
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
        log.info("the Docker engine is not reachable", extra={"error": first_line(exc)})
        raise engine_unreachable(_host_of(client)) from exc
    except cut_off as exc:  # the engine went away in the middle of a stream (a pull's events)
        log.info("the Docker engine broke off an answer", extra={"error": first_line(exc)})
        raise engine_unreachable(_host_of(client)) from exc


def not_on_host(ref: ImageRef) -> DockerError:
    return DockerError(
        f"`{ref}` is not on the bot's Docker host. Pull it with `/image pull {ref}`, or see what the "
        f"registry has without pulling: `/image docker remote {ref}`.",
        "not_found",
    )
