"""Guardrails on actions (instance types, regions, images, daily launches) and the tags a launch carries."""

from __future__ import annotations

import fnmatch
from datetime import UTC, datetime, timedelta

import redis

from bot.access.policy import Policy, TtlRules
from bot.core.durations import duration_text
from bot.core.errors import CommandError
from bot.core.text import echo

QUOTA_KEY = "imagebot:quota:{kind}:{user}:{day}"


def matches(value: str, patterns: tuple[str, ...]) -> bool:
    return any(fnmatch.fnmatchcase(value, p) for p in patterns)


def check_launch(policy: Policy, instance_type: str, region: str) -> None:
    check_launch_type(policy, instance_type)
    check_launch_region(policy, region)


def check_launch_type(policy: Policy, instance_type: str) -> None:
    allowed_types = policy.guardrails.launch.instance_types
    if not matches(instance_type, allowed_types):
        allowed = ", ".join(f"`{t}`" for t in allowed_types) or "none (ask for guardrails.launch)"
        raise CommandError(f"Instance type `{echo(instance_type)}` is not allowed. Allowed: {allowed}.")


def check_launch_region(policy: Policy, region: str) -> None:
    allowed_regions = policy.guardrails.launch.regions
    if not matches(region, allowed_regions):
        allowed = ", ".join(f"`{r}`" for r in allowed_regions) or "none (ask for guardrails.launch)"
        raise CommandError(f"Launching in `{echo(region)}` is not allowed. Allowed regions: {allowed}.")


def check_copy(policy: Policy, region: str) -> None:
    allowed = policy.guardrails.copy_.regions
    if not matches(region, allowed):
        names = ", ".join(f"`{r}`" for r in allowed) or "none (ask for guardrails.copy)"
        raise CommandError(f"Copying to `{echo(region)}` is not allowed. Allowed destination regions: {names}.")


def check_pull(policy: Policy, reference: str) -> None:
    """`reference` is the normalised form (registry/path:tag), so patterns name registries explicitly."""
    allowed = policy.guardrails.pull.images
    if not matches(reference, allowed):
        names = ", ".join(f"`{p}`" for p in allowed) or "none (ask for guardrails.pull)"
        raise CommandError(f"Pulling `{echo(reference)}` is not allowed. Allowed images: {names}.")


def required_tags(policy: Policy, user_id: str, job_id: str) -> dict[str, str]:
    """The tags every launched instance carries."""
    return {**policy.guardrails.launch.required_tags, "imagebot:requested-by": user_id, "imagebot:job": job_id}


def ttl_rules(policy: Policy, roles: list[str]) -> TtlRules:
    """The launch ttl rules for someone holding `roles`: the most generous role's, else guardrails.launch.ttl."""
    own = [r.ttl for name in roles if (r := policy.roles.get(name)) is not None and r.ttl is not None]
    if not own:
        return policy.guardrails.launch.ttl
    return max(own, key=lambda rules: (rules.max == 0, rules.max))


def check_ttl(rules: TtlRules, asked: int | None) -> int:
    """The ttl in seconds a launch gets (`asked`, or the default); refuses one over the maximum. `0`: no expiry."""
    seconds = rules.default if asked is None else asked
    longest = duration_text(rules.max)
    if seconds == 0 and rules.max:
        raise CommandError(
            f"Launching with no expiry (`--ttl 0`) is not allowed for you. The longest is `--ttl {longest}`."
        )
    if rules.max and seconds > rules.max:
        raise CommandError(
            f"`--ttl {duration_text(seconds)}` is longer than you may launch for: at most `--ttl {longest}`."
        )
    return seconds


def expiry_action(policy: Policy) -> str:
    """What the sweep does to an instance at its expiry: `stop` (the default) or `terminate`."""
    return policy.guardrails.launch.ttl.on_expiry or "stop"


def check_extend(rules: TtlRules, launched: datetime | None, current: datetime, by: int, now: datetime) -> datetime:
    """The new expiry: `by` seconds after the later of `current` and `now`, at most `rules.max` after launch.

    The maximum is counted from the instance's launch time as EC2 reports it (a start counts as a launch);
    `max: 0` has no limit. Refused past it, saying how much may still be added.
    """
    wanted = max(current, now) + timedelta(seconds=by)
    if not rules.max:
        return wanted
    latest = (launched or now) + timedelta(seconds=rules.max)
    if wanted <= latest:
        return wanted
    room = int((latest - max(current, now)).total_seconds()) // 60 * 60
    stamp = latest.strftime("%Y-%m-%d %H:%M UTC")
    longest = duration_text(rules.max)
    if room < 60:
        raise CommandError(
            f"It already runs as long as you may keep it: at most {longest} after launch ({stamp}). "
            "Launch a new instance when you need more time."
        )
    raise CommandError(
        f"`--by {duration_text(by)}` goes past the longest you may keep it ({longest} after launch, {stamp}). "
        f"At most `--by {duration_text(room)}`."
    )


def _quota_key(kind: str, user_id: str) -> str:
    return QUOTA_KEY.format(kind=kind, user=user_id, day=datetime.now(UTC).strftime("%Y%m%d"))


def launches_left(client: redis.Redis, policy: Policy, user_id: str) -> int:
    used = int(client.get(_quota_key("launch", user_id)) or 0)  # type: ignore[arg-type]
    return max(policy.guardrails.launch.max_per_user_per_day - used, 0)


def check_launch_quota(client: redis.Redis, policy: Policy, user_id: str) -> None:
    if launches_left(client, policy, user_id) <= 0:
        limit = policy.guardrails.launch.max_per_user_per_day
        raise CommandError(f"You reached the limit of {limit} launches per day. It resets at 00:00 UTC.")


def release_launch(client: redis.Redis, user_id: str) -> None:
    """Give back one counted launch that did not start (AWS refused it; the job's retry counts it again)."""
    client.decr(_quota_key("launch", user_id))


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
