"""Access decisions: may this user run a command needing this permission, here?

Everyone may read. Every other permission is denied until the policy grants
it to the user, one of their Slack user groups, or the channel; an action
also needs the channel to be allowed for it when the policy lists channels.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.access.policy import Policy
from bot.core.errors import CommandError
from bot.core.markup import Mrkdwn, channel, md
from bot.core.permissions import ALL_PERMISSIONS, Permission

GroupLookup = Callable[[str], frozenset[str]]


class PermissionDenied(CommandError):
    """The caller lacks a permission, or the channel does not allow the action."""


def no_groups(user_id: str) -> frozenset[str]:
    return frozenset()


class Access:
    """Answers "may this user run this, here?" from the policy."""

    def __init__(self, policy: Policy, groups_of: GroupLookup = no_groups) -> None:
        self.policy = policy
        self.groups_of = groups_of

    def roles(self, user_id: str, channel_id: str) -> list[str]:
        """The policy roles the user holds here: their own, their user groups' and the channel's."""
        grants = self.policy.grants
        roles = list(grants.users.get(user_id, ())) + list(grants.channels.get(channel_id, ()))
        for group in self.groups_of(user_id):
            roles += grants.usergroups.get(group, ())
        return list(dict.fromkeys(roles))

    def permissions(self, user_id: str, channel_id: str) -> frozenset[Permission]:
        granted: set[Permission] = {Permission.READ}
        for role in self.roles(user_id, channel_id):
            granted.update(self.policy.roles[role].permissions)
        if Permission.ADMIN in granted:
            granted.update(ALL_PERMISSIONS)
        return frozenset(granted)

    def denial(self, user_id: str, channel_id: str, permission: Permission) -> str | None:
        """Why the permission is refused here, or None when it is allowed."""
        if permission == Permission.READ:
            return None
        if permission not in self.permissions(user_id, channel_id):
            return f"You need the `{permission}` permission for this. Ask {self.policy.contact} to grant it."
        allowed = self.policy.channels.get(permission)
        if allowed and channel_id not in allowed:
            contact = self.policy.contact
            where = Mrkdwn(", ").join(channel(c) for c in allowed)
            return md("`{}` actions are only allowed in {}. Run it there, or ask {}.", permission, where, contact)
        return None

    def check(self, user_id: str, channel_id: str, permission: Permission) -> None:
        reason = self.denial(user_id, channel_id, permission)
        if reason:
            raise PermissionDenied(reason)

    def may(self, user_id: str, channel_id: str, permission: Permission) -> bool:
        return self.denial(user_id, channel_id, permission) is None
