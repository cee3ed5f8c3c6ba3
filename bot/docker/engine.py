"""The Docker engine client: built on first use from DOCKER_HOST, shared, or a clear "cannot reach" error.

`preflight` is the quick check commands run before they accept work: a ping with a short timeout.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

from bot.core.config import Settings
from bot.core.errors import Unavailable
from bot.docker.errors import engine_unreachable, first_line

if TYPE_CHECKING:  # the SDK is imported when the client is first made: commands without Docker never load it
    import docker


log = logging.getLogger(__name__)
PREFLIGHT_SECONDS = 0.8  # a ping over a local socket takes milliseconds; a hung engine is "not reachable"
PING_API_VERSION = "1.24"  # fixed, so the check is one request (no version negotiation first)


class DockerEngine:
    """The engine at `DOCKER_HOST` (Docker's default socket when unset); the client is created once."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self._client: docker.DockerClient | None = None

    def client(self) -> docker.DockerClient:
        """The engine client; an engine that does not answer is a DockerError naming DOCKER_HOST."""
        with self._lock:
            if self._client is None:
                import docker.errors  # the SDK loads here, with the first command that needs the engine

                try:
                    self._client = self._connect()
                except docker.errors.DockerException as exc:
                    log.info("the Docker engine is not reachable", extra={"error": first_line(exc)})
                    raise engine_unreachable(self.settings.docker_host) from exc
            return self._client

    def preflight(self) -> None:
        """Raise the one-line "not reachable" Unavailable unless the engine answers a ping within a second."""
        import docker.errors
        import requests.exceptions

        try:
            api = self._ping_client()
            try:
                api.get(f"{api.base_url}/_ping").raise_for_status()
            finally:
                api.close()
        except (docker.errors.DockerException, requests.exceptions.RequestException) as exc:
            log.info("the Docker engine did not answer its check", extra={"error": first_line(exc)})
            raise Unavailable(engine_unreachable(self.settings.docker_host).message) from None

    def _ping_client(self) -> docker.APIClient:
        import docker
        import docker.utils

        if self.settings.docker_host:
            host = self.settings.docker_host
            return docker.APIClient(base_url=host, timeout=PREFLIGHT_SECONDS, version=PING_API_VERSION)
        return docker.APIClient(timeout=PREFLIGHT_SECONDS, version=PING_API_VERSION, **docker.utils.kwargs_from_env())

    def _connect(self) -> docker.DockerClient:
        import docker

        if self.settings.docker_host:
            return docker.DockerClient(base_url=self.settings.docker_host, timeout=30)
        return docker.from_env(timeout=30)

    def close(self) -> None:
        with self._lock:
            if self._client is not None:
                self._client.close()
                self._client = None
