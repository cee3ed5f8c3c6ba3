"""EC2 clients: one per region, built on first use, shared, with botocore's retries from settings.

`preflight` is the quick check commands run before they accept work: credentials are found, and an
endpoint set in AWS_ENDPOINT_URL accepts a connection, within about a second.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from bot.core.config import Settings
from bot.core.errors import Unavailable

if TYPE_CHECKING:  # boto3 is imported when the first client is made: commands without AWS never load it
    import boto3
    import botocore.config


class RegionCache:
    """The account's enabled-region list, reused for `ttl` seconds (it changes only when an admin opts in)."""

    def __init__(self, ttl: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self.clock = clock
        self._lock = threading.Lock()
        self._entry: tuple[float, tuple[str, ...]] | None = None

    def get(self) -> list[str] | None:
        with self._lock:
            if self._entry is None or self.clock() - self._entry[0] >= self.ttl:
                return None
            return list(self._entry[1])

    def put(self, names: list[str]) -> None:
        with self._lock:
            self._entry = (self.clock(), tuple(names))

    def clear(self) -> None:
        with self._lock:
            self._entry = None


REGIONS_TTL = 900.0
CONNECT_CHECK_SECONDS = 0.5
NO_CREDENTIALS = (
    "The bot has no AWS credentials. Set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, "
    "or give it an IAM role (README: IAM policy)."
)


def endpoint_answers(url: str, timeout: float = CONNECT_CHECK_SECONDS) -> bool:
    """Whether the endpoint's host accepts a TCP connection within `timeout` seconds."""
    parts = urlsplit(url)
    if not parts.hostname:
        return False
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        socket.create_connection((parts.hostname, port), timeout=timeout).close()
    except OSError:
        return False
    return True


class AwsClients:
    """The EC2 client for each region, created once under a lock and read-only afterwards."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.regions = RegionCache(REGIONS_TTL)
        self._lock = threading.Lock()
        self._ec2: dict[str, Any] = {}
        self._session: boto3.session.Session | None = None

    def ec2(self, region: str | None = None) -> Any:
        """The EC2 client for a region (the default region when None)."""
        return self.client("ec2", region)

    def autoscaling(self, region: str | None = None) -> Any:
        """The Auto Scaling client for a region (the default region when None)."""
        return self.client("autoscaling", region)

    def client(self, service: str, region: str | None = None) -> Any:
        """The boto3 client of `service` for a region, created once."""
        region = region or self.settings.aws_region
        key = region if service == "ec2" else f"{service}:{region}"
        with self._lock:
            if key not in self._ec2:
                self._ec2[key] = self._boto_session().client(
                    service,
                    region_name=region,
                    endpoint_url=self.settings.aws_endpoint_url,
                    config=self.config(),
                )
            return self._ec2[key]

    def preflight(self) -> None:
        """Raise Unavailable, in one line, when no credentials are found or AWS_ENDPOINT_URL does not answer."""
        url = self.settings.aws_endpoint_url
        if url and not endpoint_answers(url):
            raise Unavailable(
                f"The AWS endpoint `{url}` does not answer. Start it, or unset AWS_ENDPOINT_URL to use AWS itself."
            )
        with self._lock:
            found = self._boto_session().get_credentials()  # the session keeps what it found
        if found is None:
            raise Unavailable(NO_CREDENTIALS)

    def config(self) -> botocore.config.Config:
        import botocore.config

        s = self.settings
        return botocore.config.Config(
            retries={"mode": s.aws_retry_mode, "total_max_attempts": s.aws_max_attempts},  # retries included
            connect_timeout=min(5.0, s.aws_timeout_seconds),
            read_timeout=s.aws_timeout_seconds,  # per attempt: answers come after the ack, but not never
            max_pool_connections=32,
        )

    def _boto_session(self) -> boto3.session.Session:
        if self._session is None:
            import boto3

            self._session = boto3.session.Session()
        return self._session
