"""The policy file: roles, grants, channels and guardrails, validated; any problem fails closed at start."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, field_validator, model_validator

from bot.core.durations import duration_seconds
from bot.core.errors import ConfigError
from bot.core.permissions import Permission

SLACK_ID = r"^[A-Z][A-Z0-9_]{1,40}$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _duration(value: Any) -> int:
    seconds = duration_seconds(str(value))
    if seconds is None:
        raise ValueError(f"{value!r} is not a duration (write 90m, 8h, 2d, or 0)")
    return seconds


Duration = Annotated[int, BeforeValidator(_duration)]  # seconds, written `8h` in the file


class TtlRules(_Strict):
    """How long a launched instance lives: `--ttl` defaults to `default` and may not exceed `max` (`0`: no limit)."""

    default: Duration = 8 * 3600
    max: Duration = 7 * 86400
    # what the expiry sweep does at expiry; only under guardrails.launch.ttl (None there means "stop")
    on_expiry: Literal["stop", "terminate"] | None = None

    @model_validator(mode="after")
    def _default_within_max(self) -> TtlRules:
        if self.max and not 0 < self.default <= self.max:
            raise ValueError("the default ttl must be more than 0 and at most max (max: 0 allows no expiry)")
        return self


class Role(_Strict):
    permissions: tuple[Permission, ...]
    ttl: TtlRules | None = None  # this role's own launch ttl rules (the most generous of a user's roles wins)

    @field_validator("ttl")
    @classmethod
    def _no_own_expiry_action(cls, value: TtlRules | None) -> TtlRules | None:
        if value is not None and value.on_expiry is not None:
            raise ValueError("on_expiry is set once, under guardrails.launch.ttl, not per role")
        return value


class Grants(_Strict):
    users: dict[str, tuple[str, ...]] = {}
    usergroups: dict[str, tuple[str, ...]] = {}
    channels: dict[str, tuple[str, ...]] = {}

    @field_validator("users", "usergroups", "channels")
    @classmethod
    def _slack_ids(cls, value: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
        for slack_id in value:
            if not re.match(SLACK_ID, slack_id):
                raise ValueError(f"{slack_id!r} is not a Slack id (like U0123ABCD, S0123ABCD or C0123ABCD)")
        return value


class LaunchRules(_Strict):
    instance_types: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    max_per_user_per_day: int = Field(default=5, ge=0)
    required_tags: dict[str, str] = {}
    ttl: TtlRules = Field(default_factory=TtlRules)


class PullRules(_Strict):
    images: tuple[str, ...] = ()


class CopyRules(_Strict):
    regions: tuple[str, ...] = ()


class AmiRules(_Strict):
    max_age: Duration = 0  # `ami usage` warns about an AMI older than this (`180d`); 0: never


class Guardrails(_Strict):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    launch: LaunchRules = Field(default_factory=LaunchRules)
    ami: AmiRules = Field(default_factory=AmiRules)
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
    import yaml  # only with a policy file: `imagebot ask` and the other quick commands never need it

    file = Path(path)
    try:
        raw = yaml.safe_load(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"IMAGEBOT_POLICY_FILE: {path} does not exist. Fix the path or unset it.") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"IMAGEBOT_POLICY_FILE: {path} is not UTF-8 text (byte {exc.start} is not).") from None
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
