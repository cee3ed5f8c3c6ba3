"""The Docker engine client: built on first use from DOCKER_HOST, shared, or a clear "cannot reach" error."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from bot.core.config import Settings
from bot.docker.errors import engine_unreachable, first_line

if TYPE_CHECKING:  # the SDK is imported when the client is first made: commands without Docker never load it
    import docker


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
                    raise engine_unreachable(self.settings.docker_host, first_line(exc)) from exc
            return self._client

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
