"""Who may run what (the policy file), the guardrails on actions, and the audit log.

Everyone may read (help, ask, compare, status, copies, jobs). Actions (`pull`,
`launch`, `copy`) and `admin` are denied until the policy grants them to a
user, a Slack user group or a channel, and an action also needs the channel
to be allowed for it when the policy lists channels for that permission.
A policy file that is configured but missing, unreadable or invalid stops the
bot at start: it fails closed, never open.
"""

from __future__ import annotations

import fnmatch
import json
import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import redis
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from bot.errors import CommandError, ConfigError

if TYPE_CHECKING:
    from bot.commands import Context

log = logging.getLogger(__name__)

Permission = Literal["read", "pull", "launch", "copy", "admin"]
PERMISSIONS: tuple[str, ...] = ("read", "pull", "launch", "copy", "admin")
AUDIT_STREAM = "imagebot:audit"
AUDIT_MAX = 10_000
QUOTA_KEY = "imagebot:quota:{kind}:{user}:{day}"
SLACK_ID = r"^[A-Z][A-Z0-9_]{1,40}$"


class PermissionDenied(CommandError):
    """The caller lacks a permission, or the channel does not allow the action."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Role(_Strict):
    permissions: tuple[Permission, ...]


class Grants(_Strict):
    users: dict[str, tuple[str, ...]] = {}
    usergroups: dict[str, tuple[str, ...]] = {}
    channels: dict[str, tuple[str, ...]] = {}

    @field_validator("users", "usergroups", "channels")
    @classmethod
    def _slack_ids(cls, value: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
        import re

        for slack_id in value:
            if not re.match(SLACK_ID, slack_id):
                raise ValueError(f"{slack_id!r} is not a Slack id (like U0123ABCD, S0123ABCD or C0123ABCD)")
        return value


class LaunchRules(_Strict):
    instance_types: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    max_per_user_per_day: int = Field(default=5, ge=0)
    required_tags: dict[str, str] = {}


class PullRules(_Strict):
    images: tuple[str, ...] = ()


class CopyRules(_Strict):
    regions: tuple[str, ...] = ()


class Guardrails(_Strict):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    launch: LaunchRules = Field(default_factory=LaunchRules)
    pull: PullRules = Field(default_factory=PullRules)
    copy_: CopyRules = Field(default_factory=CopyRules, alias="copy")


class Policy(_Strict):
    """The policy file, validated. Unknown keys are errors, so a typo never widens access."""

    contact: str = "your Slack workspace admins"
    roles: dict[str, Role] = {}
    grants: Grants = Field(default_factory=Grants)
    channels: dict[Permission, tuple[str, ...]] = {}
    guardrails: Guardrails = Field(default_factory=Guardrails)

    @model_validator(mode="after")
    def _roles_exist(self) -> Policy:
        for kind in ("users", "usergroups", "channels"):
            for who, roles in getattr(self.grants, kind).items():
                unknown = [r for r in roles if r not in self.roles]
                if unknown:
                    raise ValueError(f"grants.{kind}.{who} names unknown role(s) {unknown}; define them under roles")
        return self


DEFAULT_POLICY = Policy()


def load_policy(path: str | None) -> Policy:
    """The policy at `path` (the default policy when none is configured); any problem is a ConfigError."""
    if not path:
        return DEFAULT_POLICY
    file = Path(path)
    try:
        raw = yaml.safe_load(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"IMAGEBOT_POLICY_FILE: {path} does not exist. Fix the path or unset it.") from None
    except OSError as exc:
        raise ConfigError(f"IMAGEBOT_POLICY_FILE: {path} cannot be read ({exc.strerror}).") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"IMAGEBOT_POLICY_FILE: {path} is not valid YAML: {exc}".splitlines()[0]) from None
    if not isinstance(raw, dict):
        raise ConfigError(f"IMAGEBOT_POLICY_FILE: {path} must be a YAML mapping (roles, grants, ...).")
    try:
        return Policy.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(top level)"
        raise ConfigError(f"IMAGEBOT_POLICY_FILE: {path}: {where}: {first['msg']}") from None


# --------------------------------------------------------------- decisions

GroupLookup = Callable[[str], frozenset[str]]


def no_groups(user_id: str) -> frozenset[str]:
    return frozenset()


class Access:
    """Answers "may this user run this, here?" from the policy."""

    def __init__(self, policy: Policy, groups_of: GroupLookup = no_groups) -> None:
        self.policy = policy
        self.groups_of = groups_of

    def permissions(self, user_id: str, channel_id: str) -> frozenset[str]:
        grants = self.policy.grants
        roles = list(grants.users.get(user_id, ())) + list(grants.channels.get(channel_id, ()))
        for group in self.groups_of(user_id):
            roles += grants.usergroups.get(group, ())
        granted = {"read"}
        for role in roles:
            granted.update(self.policy.roles[role].permissions)
        if "admin" in granted:
            granted.update(PERMISSIONS)
        return frozenset(granted)

    def denial(self, user_id: str, channel_id: str, permission: str) -> str | None:
        """Why the permission is refused here, or None when it is allowed."""
        if permission == "read":
            return None
        if permission not in self.permissions(user_id, channel_id):
            return f"You need the `{permission}` permission for this. Ask {self.policy.contact} to grant it."
        allowed = self.policy.channels.get(permission)  # type: ignore[call-overload]
        if allowed and channel_id not in allowed:
            where = ", ".join(f"<#{c}>" for c in allowed)
            return f"`{permission}` actions are only allowed in {where}. Run it there, or ask {self.policy.contact}."
        return None

    def check(self, ctx: Context, permission: str) -> None:
        reason = self.denial(ctx.user_id, ctx.channel_id, permission)
        if reason:
            raise PermissionDenied(reason)

    def may(self, ctx: Context, permission: str) -> bool:
        return self.denial(ctx.user_id, ctx.channel_id, permission) is None


class SlackGroups:
    """User-group membership from Slack's `usergroups.list`, cached for a few minutes."""

    def __init__(self, client: Any, ttl: float = 300.0) -> None:
        self.client = client
        self.ttl = ttl
        self._members: dict[str, frozenset[str]] = {}
        self._loaded: float | None = None  # never loaded yet (monotonic time can be small after a boot)
        self._lock = threading.Lock()

    def __call__(self, user_id: str) -> frozenset[str]:
        with self._lock:
            if self._loaded is None or time.monotonic() - self._loaded > self.ttl:
                self._refresh()
            return self._members.get(user_id, frozenset())

    def _refresh(self) -> None:
        from slack_sdk.errors import SlackApiError

        try:
            groups = self.client.usergroups_list(include_users=True).get("usergroups", [])
        except SlackApiError as exc:
            log.warning("cannot read Slack user groups; group grants are ignored", extra={"error": str(exc)})
            self._loaded = time.monotonic()
            return
        members: dict[str, set[str]] = {}
        for group in groups:
            for user in group.get("users", []):
                members.setdefault(user, set()).add(group["id"])
        self._members = {u: frozenset(g) for u, g in members.items()}
        self._loaded = time.monotonic()


# -------------------------------------------------------------- guardrails


def matches(value: str, patterns: tuple[str, ...]) -> bool:
    return any(fnmatch.fnmatchcase(value, p) for p in patterns)


def check_launch(policy: Policy, instance_type: str, region: str) -> None:
    rules = policy.guardrails.launch
    if not matches(instance_type, rules.instance_types):
        allowed = ", ".join(f"`{t}`" for t in rules.instance_types) or "none (ask for guardrails.launch)"
        raise CommandError(f"Instance type `{instance_type}` is not allowed. Allowed: {allowed}.")
    if not matches(region, rules.regions):
        allowed = ", ".join(f"`{r}`" for r in rules.regions) or "none (ask for guardrails.launch)"
        raise CommandError(f"Launching in `{region}` is not allowed. Allowed regions: {allowed}.")


def check_copy(policy: Policy, region: str) -> None:
    allowed = policy.guardrails.copy_.regions
    if not matches(region, allowed):
        names = ", ".join(f"`{r}`" for r in allowed) or "none (ask for guardrails.copy)"
        raise CommandError(f"Copying to `{region}` is not allowed. Allowed destination regions: {names}.")


def check_pull(policy: Policy, reference: str) -> None:
    """`reference` is the normalised form (registry/path:tag), so patterns name registries explicitly."""
    allowed = policy.guardrails.pull.images
    if not matches(reference, allowed):
        names = ", ".join(f"`{p}`" for p in allowed) or "none (ask for guardrails.pull)"
        raise CommandError(f"Pulling `{reference}` is not allowed. Allowed images: {names}.")


def required_tags(policy: Policy, user_id: str, job_id: str) -> dict[str, str]:
    """The tags every launched instance carries."""
    return {**policy.guardrails.launch.required_tags, "imagebot:requested-by": user_id, "imagebot:job": job_id}


def _quota_key(kind: str, user_id: str) -> str:
    return QUOTA_KEY.format(kind=kind, user=user_id, day=datetime.now(UTC).strftime("%Y%m%d"))


def launches_left(client: redis.Redis, policy: Policy, user_id: str) -> int:
    used = int(client.get(_quota_key("launch", user_id)) or 0)  # type: ignore[arg-type]
    return max(policy.guardrails.launch.max_per_user_per_day - used, 0)


def check_launch_quota(client: redis.Redis, policy: Policy, user_id: str) -> None:
    if launches_left(client, policy, user_id) <= 0:
        limit = policy.guardrails.launch.max_per_user_per_day
        raise CommandError(f"You reached the limit of {limit} launches per day. It resets at 00:00 UTC.")


def consume_launch(client: redis.Redis, policy: Policy, user_id: str) -> None:
    """Count one launch atomically; refuses (and gives it back) past the daily limit."""
    quota = _quota_key("launch", user_id)
    pipe = client.pipeline()
    pipe.incr(quota)
    pipe.expire(quota, 2 * 86400)
    used = int(pipe.execute()[0])
    if used > policy.guardrails.launch.max_per_user_per_day:
        client.decr(quota)
        check_launch_quota(client, policy, user_id)


# ------------------------------------------------------------------- audit


class Audit:
    """Every command, appended to a capped Redis stream and to the structured log."""

    PAUSE = 30.0  # after Redis fails, log only for this long, so read commands stay fast

    def __init__(self, client_of: Callable[[], redis.Redis], scrub: Callable[[str], str]) -> None:
        self.client_of = client_of
        self.scrub = scrub
        self._paused_until = 0.0

    def record(self, ctx: Context, text: str, command: str, decision: str, outcome: str, job_id: str | None) -> None:
        entry = {
            "ts": f"{time.time():.3f}",
            "user": ctx.user_id,
            "channel": ctx.channel_id,
            "transport": ctx.transport,
            "command": command,
            "text": self.scrub(text)[:500],
            "decision": decision,
            "outcome": outcome,
            "job_id": job_id or "",
        }
        log.info("audit", extra={"audit": entry})
        if time.monotonic() < self._paused_until:
            return
        try:
            self.client_of().xadd(AUDIT_STREAM, entry, maxlen=AUDIT_MAX, approximate=True)  # type: ignore[arg-type]
        except redis.RedisError as exc:
            self._paused_until = time.monotonic() + self.PAUSE
            log.warning("audit entry not stored in Redis", extra={"error": type(exc).__name__})

    def entries(self, user_id: str | None = None, limit: int = 20) -> list[dict[str, str]]:
        out: list[dict[str, str]] = []
        last = "+"
        client = self.client_of()
        while len(out) < limit:
            batch: list[Any] = client.xrevrange(AUDIT_STREAM, max=last, count=200)  # type: ignore[assignment]
            if not batch:
                break
            for _stream_id, fields in batch:
                entry = {k.decode(): v.decode() for k, v in fields.items()}
                if user_id is None or entry.get("user") == user_id:
                    out.append(entry)
                    if len(out) == limit:
                        break
            last = "(" + batch[-1][0].decode()
        return out


def audit_json(entry: dict[str, str]) -> str:
    return json.dumps(entry, sort_keys=True)
