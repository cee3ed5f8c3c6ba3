"""Needs: the services a subcommand or job kind declares (`needs=(Need.DOCKER,)`), checked before work is accepted."""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum


class Need(StrEnum):
    """A service a command cannot do without. The services layer checks each, with a short timeout."""

    AWS = "aws"  # credentials, and the endpoint when AWS_ENDPOINT_URL is set
    DOCKER = "docker"  # the engine at DOCKER_HOST answers a ping
    REDIS = "redis"  # the job store answers (every command that starts a job)


def merged(*groups: Iterable[Need]) -> tuple[Need, ...]:
    """The needs of several declarations, each once, in a fixed order (the cheapest check first)."""
    wanted = {need for group in groups for need in group}
    return tuple(need for need in (Need.REDIS, Need.DOCKER, Need.AWS) if need in wanted)
