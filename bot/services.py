"""Lazily built clients: EC2 per region, Docker, Redis.

A client is built on first use and reused afterwards (one EC2 client per
region), so commands that need none of them never pay for them, and a
missing service only fails the commands that need it.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

import boto3
import botocore.config
import redis

if TYPE_CHECKING:
    import docker

    from bot.access import Policy
    from bot.config import Settings


class Services:
    """The external clients a handler may use, built once and shared."""

    def __init__(
        self, settings: Settings, redis_client: redis.Redis | None = None, policy: Policy | None = None
    ) -> None:
        from bot.access import Access, Audit, load_policy
        from bot.logs import Scrubber

        self.settings = settings
        # loaded now, so a bad policy file stops the bot at start (fail closed)
        self.policy = policy if policy is not None else load_policy(settings.policy_file)
        self.access = Access(self.policy)
        self.audit = Audit(lambda: self.redis, Scrubber(settings.secrets()))
        self._lock = threading.Lock()
        self._redis = redis_client
        self._ec2: dict[str, Any] = {}
        self._docker: docker.DockerClient | None = None
        self._session: boto3.session.Session | None = None

    @property
    def redis(self) -> redis.Redis:
        with self._lock:
            if self._redis is None:
                self._redis = redis.Redis.from_url(self.settings.redis_url, socket_connect_timeout=2, socket_timeout=5)
            return self._redis

    def ec2(self, region: str | None = None) -> Any:
        """The EC2 client for a region (default region when None), created once."""
        region = region or self.settings.aws_region
        with self._lock:
            if region not in self._ec2:
                self._ec2[region] = self._boto_session().client(
                    "ec2",
                    region_name=region,
                    endpoint_url=self.settings.aws_endpoint_url,
                    config=self.aws_config(),
                )
            return self._ec2[region]

    def aws_config(self) -> botocore.config.Config:
        s = self.settings
        return botocore.config.Config(
            retries={"mode": s.aws_retry_mode, "total_max_attempts": s.aws_max_attempts},  # retries included
            connect_timeout=5,
            read_timeout=30,
            max_pool_connections=32,
        )

    def _boto_session(self) -> boto3.session.Session:
        if self._session is None:
            self._session = boto3.session.Session()
        return self._session

    @property
    def docker(self) -> docker.DockerClient:
        import docker as docker_sdk

        with self._lock:
            if self._docker is None:
                if self.settings.docker_host:
                    self._docker = docker_sdk.DockerClient(base_url=self.settings.docker_host, timeout=30)
                else:
                    self._docker = docker_sdk.from_env(timeout=30)
            return self._docker

    def close(self) -> None:
        if self._docker is not None:
            self._docker.close()
