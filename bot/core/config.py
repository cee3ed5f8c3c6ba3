"""Settings: read from the environment once, validated, frozen.

Every variable the bot reads is a field here, with its default and meaning;
the README's configuration table is written from this class. It is a plain
pydantic model validated from `os.environ` (variable names are its aliases,
matched exactly): pydantic-settings would add dotenv, secret directories and
YAML/TOML sources the bot does not use, and importing them costs `imagebot
ask` about a sixth of its start.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator
from pydantic.fields import FieldInfo

from bot.core.errors import ConfigError

REGION_SHAPE = re.compile(r"[a-z]{2,4}(-[a-z]+)+-\d{1,2}")


class Settings(BaseModel):
    """The bot's whole configuration. Build it with `load_settings()`."""

    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)

    slack_bot_token: SecretStr | None = Field(None, alias="SLACK_BOT_TOKEN")
    slack_signing_secret: SecretStr | None = Field(None, alias="SLACK_SIGNING_SECRET")
    slack_app_token: SecretStr | None = Field(None, alias="SLACK_APP_TOKEN")
    slack_api_url: str = Field("https://slack.com/api/", alias="SLACK_API_URL")
    port: int = Field(3000, alias="PORT", ge=1, le=65535)
    bind: str = Field("0.0.0.0", alias="IMAGEBOT_BIND", min_length=1)
    health_port: int | None = Field(None, alias="IMAGEBOT_HEALTH_PORT", ge=1, le=65535)
    max_request_bytes: int = Field(1_048_576, alias="IMAGEBOT_MAX_REQUEST_BYTES", ge=1024, le=64 * 1_048_576)
    shutdown_seconds: float = Field(25.0, alias="IMAGEBOT_SHUTDOWN_SECONDS", ge=0, le=600)
    slack_workers: int = Field(16, alias="IMAGEBOT_SLACK_WORKERS", ge=1, le=256)
    socket_ping_seconds: float = Field(2.0, alias="IMAGEBOT_SOCKET_PING_SECONDS", gt=0, le=60)

    redis_url: str = Field("redis://localhost:6379/0", alias="REDIS_URL")
    redis_timeout_seconds: float = Field(0.5, alias="IMAGEBOT_REDIS_TIMEOUT_SECONDS", gt=0, le=30)
    job_retention_days: int = Field(7, alias="IMAGEBOT_JOB_RETENTION_DAYS", ge=1)
    job_heartbeat_seconds: float = Field(15.0, alias="IMAGEBOT_JOB_HEARTBEAT_SECONDS", gt=0, le=300)
    job_reaper_seconds: float = Field(30.0, alias="IMAGEBOT_JOB_REAPER_SECONDS", gt=0, le=300)
    job_dedupe_seconds: int = Field(600, alias="IMAGEBOT_JOB_DEDUPE_SECONDS", ge=1)
    job_modules: str = Field("", alias="IMAGEBOT_JOB_MODULES")
    expiry_sweep_seconds: int = Field(60, alias="IMAGEBOT_EXPIRY_SWEEP_SECONDS", ge=0, le=3600)
    expiry_lock_seconds: int = Field(300, alias="IMAGEBOT_EXPIRY_LOCK_SECONDS", ge=1, le=3600)

    aws_region: str = Field(
        "us-east-1",
        validation_alias=AliasChoices("IMAGEBOT_DEFAULT_REGION", "AWS_REGION", "AWS_DEFAULT_REGION"),
    )
    aws_endpoint_url: str | None = Field(None, alias="AWS_ENDPOINT_URL")
    aws_retry_mode: Literal["standard", "adaptive", "legacy"] = Field("standard", alias="AWS_RETRY_MODE")
    aws_max_attempts: int = Field(5, alias="AWS_MAX_ATTEMPTS", ge=1, le=20)
    aws_timeout_seconds: float = Field(10.0, alias="IMAGEBOT_AWS_TIMEOUT_SECONDS", gt=0, le=120)
    aws_concurrency: int = Field(32, alias="IMAGEBOT_AWS_CONCURRENCY", ge=1, le=64)
    expected_regions: str = Field("", alias="IMAGEBOT_EXPECTED_REGIONS")

    docker_host: str | None = Field(None, alias="DOCKER_HOST")

    policy_file: str | None = Field(None, alias="IMAGEBOT_POLICY_FILE")
    # read only so that logs, replies and audit entries can be scrubbed of them (boto3 reads its own)
    aws_secret_access_key: SecretStr | None = Field(None, alias="AWS_SECRET_ACCESS_KEY")
    aws_session_token: SecretStr | None = Field(None, alias="AWS_SESSION_TOKEN")

    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field("INFO", alias="IMAGEBOT_LOG_LEVEL")
    sandbox: bool = Field(False, alias="IMAGEBOT_SANDBOX")

    @field_validator("slack_api_url")
    @classmethod
    def _api_url_ends_with_slash(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value if value.endswith("/") else value + "/"

    @field_validator("redis_url")
    @classmethod
    def _redis_scheme(cls, value: str) -> str:
        if not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must start with redis://, rediss:// or unix://")
        return value

    @field_validator("aws_region")
    @classmethod
    def _region_name(cls, value: str) -> str:
        region = value.strip().lower()
        if not REGION_SHAPE.fullmatch(region):
            raise ValueError(f"{value!r} is not a region name (write it like us-east-1)")
        return region

    @field_validator("expected_regions")
    @classmethod
    def _region_list(cls, value: str) -> str:
        names = [n.strip().lower() for n in value.split(",") if n.strip()]
        bad = [n for n in names if not REGION_SHAPE.fullmatch(n)]
        if bad:
            raise ValueError(f"not a region name: {', '.join(bad)} (write them like us-east-1,eu-west-1)")
        return ",".join(dict.fromkeys(names))

    @property
    def expected_region_list(self) -> list[str]:
        """IMAGEBOT_EXPECTED_REGIONS as a list (regions where every AMI should have a copy)."""
        return [n for n in self.expected_regions.split(",") if n]

    def secrets(self) -> list[str]:
        """Every secret value configured, so logs and replies can be scrubbed of them."""
        values = [
            self.slack_bot_token,
            self.slack_signing_secret,
            self.slack_app_token,
            self.aws_secret_access_key,
            self.aws_session_token,
        ]
        return [v.get_secret_value() for v in values if v and v.get_secret_value()]

    def require(self, *names: str) -> None:
        """Fail with one clear message when a variable a mode needs is unset."""
        missing = [n for n in names if not getattr(self, _field_of(n))]
        if missing:
            raise ConfigError(f"{', '.join(missing)} must be set for this mode (see .env.example and the README).")


def _field_of(env_name: str) -> str:
    for name, info in Settings.model_fields.items():
        if info.alias == env_name:
            return name
    raise KeyError(env_name)


def load_settings(**overrides: object) -> Settings:
    """Read the environment (`overrides`, by variable name, win); a bad value becomes one ConfigError naming it."""
    try:
        return Settings.model_validate(environment(os.environ, overrides))
    except ValidationError as exc:
        first = exc.errors()[0]
        field = str(first["loc"][0]) if first["loc"] else "?"
        info = Settings.model_fields.get(field)
        name = _names(info)[0] if info else field
        raise ConfigError(f"Configuration error: {name}: {first['msg']}.") from None


def environment(env: Mapping[str, str], overrides: Mapping[str, object]) -> dict[str, object]:
    """`env` with `overrides` on top: a field an override names takes none of its other variables from `env`."""
    merged: dict[str, object] = dict(env)
    for info in Settings.model_fields.values():
        names = _names(info)
        if any(n in overrides for n in names):
            for n in names:
                merged.pop(n, None)
    merged.update(overrides)
    return merged


def _names(info: FieldInfo) -> list[str]:
    """The variables a field is read from, in order of precedence."""
    alias = info.validation_alias
    if isinstance(alias, AliasChoices):
        return [str(choice) for choice in alias.choices]
    return [str(alias or info.alias)]
