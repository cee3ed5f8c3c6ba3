"""Permissions: the typed names a subcommand requires and a policy role grants."""

from __future__ import annotations

from enum import StrEnum


class Permission(StrEnum):
    """What a command needs. Everyone may READ; the rest are granted by the policy file."""

    READ = "read"
    PULL = "pull"
    LAUNCH = "launch"
    COPY = "copy"
    MANAGE = "manage"  # list, stop, start and terminate instances others launched through the bot
    ADMIN = "admin"


ALL_PERMISSIONS: tuple[Permission, ...] = tuple(Permission)
