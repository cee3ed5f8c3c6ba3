"""The services a command may use, built once and shared: AWS, Docker, Redis, access, audit, job notices.

Clients are built on first use, so commands that need none of them never pay
for them, and a missing service only fails the commands that need it. The
transport in use sets `notifier` while it starts (Slack's posts job messages;
the shell's default polls instead); nothing here knows which transport runs.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Any

import redis

from bot.access.audit import Audit
from bot.access.decisions import Access
from bot.access.policy import Policy, load_policy
from bot.aws.clients import AwsClients
from bot.core.config import Settings
from bot.core.logs import Scrubber
from bot.core.needs import Need
from bot.docker.engine import DockerEngine
from bot.jobs.notify import JobNotifier, NoNotifier
from bot.jobs.store import JobStore, store_unavailable
from knowledge.feedback import Feedback


class Services:
    """The external clients and shared decisions a handler may use."""

    def __init__(
        self,
        settings: Settings,
        redis_client: redis.Redis | None = None,
        policy: Policy | None = None,
        notifier: JobNotifier | None = None,
    ) -> None:
        self.settings = settings
        # loaded now, so a bad policy file stops the bot at start (fail closed)
        self.policy = policy if policy is not None else load_policy(settings.policy_file)
        self.access = Access(self.policy)
        self.scrub = Scrubber(settings.secrets())
        self.audit = Audit(lambda: self.redis, self.scrub)
        self.aws = AwsClients(settings)
        self.docker = DockerEngine(settings)
        self.notifier: JobNotifier = notifier or NoNotifier()
        self._lock = threading.Lock()
        self._redis = redis_client

    @property
    def redis(self) -> redis.Redis:
        with self._lock:
            if self._redis is None:
                # well inside Slack's 3 s ack budget: a hung Redis is "unavailable", not a missed ack
                timeout = self.settings.redis_timeout_seconds
                self._redis = redis.Redis.from_url(
                    self.settings.redis_url, socket_connect_timeout=timeout, socket_timeout=timeout
                )
            return self._redis

    @property
    def jobs(self) -> JobStore:
        return JobStore(self.redis, self.settings)

    @property
    def feedback(self) -> Feedback:
        """The knowledge base's gap log and votes."""
        return Feedback(self.redis, self.scrub)

    def ensure(self, needs: Iterable[Need]) -> None:
        """Check each service needed, quickly; the first that does not answer raises its one-line Unavailable."""
        for need in needs:
            if need is Need.REDIS:
                self._check_redis()
            elif need is Need.DOCKER:
                self.docker.preflight()
            elif need is Need.AWS:
                self.aws.preflight()

    def _check_redis(self) -> None:
        try:
            self.redis.ping()
        except redis.RedisError:
            raise store_unavailable(self.settings) from None

    def ec2(self, region: str | None = None) -> Any:
        """The EC2 client for a region (default region when None), created once."""
        return self.aws.ec2(region)

    def close(self) -> None:
        self.docker.close()
