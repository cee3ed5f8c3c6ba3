"""The expiry sweep: DM an owner an hour before their instance's `imagebot:expires-at`, act on it at expiry.

`sweep(ctx, now)` looks at every instance the bot launched that carries an
expiry, in the regions the policy lets the bot launch in (one call per
region, concurrently). An hour before the expiry it DMs the owner once, with
[Extend by 8h] and [Terminate now] buttons (they run `/image extend` and
`/image terminate`, like typed commands). At the expiry it stops or
terminates the instance as `guardrails.launch.ttl.on_expiry` says, tells the
owner and writes the audit log.

Idempotent: one sweep at a time holds LOCK_KEY (SET NX with a TTL, so a
sweep killed while holding it holds up the next ones only until the TTL
runs out); each warning and each action is claimed with its own key, per
instance and per expiry moment, so nothing is sent or done twice and an
extended expiry gets a warning of its own. The worker runs it on a schedule
(bot.worker.sweep); tests call it with their own clock.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import socket
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta

from bot.access.guardrails import expiry_action, matches
from bot.aws.lifecycle import Instance, change_state, list_expiring
from bot.aws.regions import enabled_regions, fan_out
from bot.core.command import PREFIX
from bot.core.errors import CommandError
from bot.core.markup import Mrkdwn, md
from bot.core.parts import Button, Buttons, Footer, Text
from bot.core.reply import Reply
from bot.framework.context import Context
from handlers.shared.instances import EXTEND_BY, expiry_text

log = logging.getLogger(__name__)

LOCK_KEY = "imagebot:expiry:lock"  # value: host:pid:token of the sweep holding it
WARNED_KEY = "imagebot:expiry:warned:{0}:{1}"  # instance id, expiry moment
ACTED_KEY = "imagebot:expiry:acted:{0}:{1}"
LAST_KEY = "imagebot:expiry:last"  # the last sweep's report (JSON)
CLAIM_SECONDS = 14 * 86400
WARN_BEFORE = timedelta(hours=1)
# the states each expiry action applies to (a stopped instance is left alone when the policy says stop)
ACT_ON = {"stop": ("pending", "running"), "terminate": ("pending", "running", "stopping", "stopped")}
DONE = {"stop": "stopped", "terminate": "terminated"}
RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"


@dataclass
class SweepReport:
    """What one sweep did; `ran` is False when another sweep held the lock (this one did nothing)."""

    ran: bool
    at: str = ""
    regions: list[str] = field(default_factory=list)
    seen: int = 0
    warned: list[str] = field(default_factory=list)
    acted: list[str] = field(default_factory=list)  # "i-0abc stop"
    errors: list[str] = field(default_factory=list)

    @property
    def summary(self) -> str:
        if not self.ran:
            return "another sweep was running"
        counts = f"warned {len(self.warned)}, acted {len(self.acted)}"
        return f"{self.seen} instances with an expiry in {len(self.regions)} regions; {counts}"


class SweepLock:
    """SET NX EX with a token of this process; released only by its holder (compare and delete)."""

    def __init__(self, ctx: Context, seconds: int) -> None:
        self.redis = ctx.services.redis
        self.seconds = seconds
        self.token = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"

    def acquire(self) -> bool:
        return bool(self.redis.set(LOCK_KEY, self.token, nx=True, ex=self.seconds))

    def release(self) -> None:
        self.redis.eval(RELEASE, 1, LOCK_KEY, self.token)


def sweep(ctx: Context, now: datetime | None = None, lock_seconds: int | None = None) -> SweepReport:
    """One sweep over every region (see the module docstring); `now` is the clock it judges expiry by."""
    now = now or datetime.now(UTC)
    lock = SweepLock(ctx, lock_seconds or ctx.settings.expiry_lock_seconds)
    if not lock.acquire():
        return SweepReport(ran=False)
    try:
        report = SweepReport(ran=True, at=now.isoformat(), regions=sweep_regions(ctx))
        clients = ctx.services.aws
        for result in fan_out(clients, report.regions, lambda region: list_expiring(clients, region)):
            if result.error:
                report.errors.append(f"{result.region}: {result.error}")
            for instance in result.value or []:
                visit(ctx, instance, now, report)
        ctx.services.redis.set(LAST_KEY, json.dumps(asdict(report)), ex=CLAIM_SECONDS)
        return report
    finally:
        lock.release()


def sweep_regions(ctx: Context) -> list[str]:
    """The default region and every enabled region the policy lets the bot launch in."""
    home = ctx.settings.aws_region
    patterns = ctx.services.policy.guardrails.launch.regions
    try:
        enabled = enabled_regions(ctx.services.aws)
    except CommandError as exc:  # the default region is still swept
        log.warning("expiry sweep: cannot list the enabled regions", extra={"error": exc.message})
        enabled = []
    return [home] + [r for r in enabled if r != home and matches(r, patterns)]


def visit(ctx: Context, instance: Instance, now: datetime, report: SweepReport) -> None:
    """Warn, act, or leave the instance alone."""
    expires, action = instance.expires, expiry_action(ctx.services.policy)
    if expires is None or instance.owner is None or instance.state not in ACT_ON[action]:
        return
    report.seen += 1
    if now >= expires:
        act(ctx, instance, expires, action, report)
    elif now >= expires - WARN_BEFORE:
        warn(ctx, instance, now, action, report)


def _claim(ctx: Context, template: str, instance: Instance, expires: datetime) -> str | None:
    """The claim key when this sweep is the first to claim it, else None."""
    key = template.format(instance.id, int(expires.timestamp()))
    return key if ctx.services.redis.set(key, "1", nx=True, ex=CLAIM_SECONDS) else None


def warn(ctx: Context, instance: Instance, now: datetime, action: str, report: SweepReport) -> None:
    assert instance.owner is not None and instance.expires is not None
    key = _claim(ctx, WARNED_KEY, instance, instance.expires)
    if key is None:
        return
    if not ctx.services.notifier.tell(instance.owner, warning_reply(instance, now, action)):
        ctx.services.redis.delete(key)  # not sent: the next sweep tries again
        report.errors.append(f"{instance.id}: the warning could not be sent")
        return
    report.warned.append(instance.id)


def act(ctx: Context, instance: Instance, expires: datetime, action: str, report: SweepReport) -> None:
    assert instance.owner is not None
    key = _claim(ctx, ACTED_KEY, instance, expires)
    if key is None:
        return
    text = f"expiry: {action} {instance.id} --region {instance.region} (owner {instance.owner})"
    try:
        state = change_state(ctx.services.aws, instance.region, instance.id, action)
    except CommandError as exc:
        ctx.services.redis.delete(key)  # nothing was done: the next sweep tries again
        ctx.audit(text, f"instance.{action}", "expired", f"failed: {exc.message}")
        report.errors.append(f"{instance.id}: {exc.message}")
        return
    ctx.audit(text, f"instance.{action}", "expired", state)
    report.acted.append(f"{instance.id} {action}")
    ctx.services.notifier.tell(instance.owner, acted_reply(instance, expires, action))


def _name(instance: Instance) -> Mrkdwn:
    return md(" (*{}*)", instance.name) if instance.name else Mrkdwn("")


def warning_reply(instance: Instance, now: datetime, action: str) -> Reply:
    """The DM an hour before: when, what will happen, and the two buttons."""
    where = f"--region {instance.region}"
    text = md(
        ":alarm_clock: Your instance `{}`{} in `{}` {}. Then it will be *{}*, as the policy says.",
        instance.id,
        _name(instance),
        instance.region,
        expiry_text(instance, now),
        DONE[action],
    )
    extend = f"{PREFIX} extend {instance.id} --by {EXTEND_BY} {where}"
    buttons = Buttons(
        (
            Button(f"Extend by {EXTEND_BY}", "imagebot.run.extend", extend, "primary"),
            Button("Terminate now", "imagebot.run.terminate", f"{PREFIX} terminate {instance.id} {where}", "danger"),
        )
    )
    more = md(
        "Or type `{} extend {} --by 2h {}`; the policy's longest ttl for you limits how far.",
        PREFIX,
        instance.id,
        where,
    )
    return Reply(parts=[Text(text), buttons, Footer(more)], data={"instance": instance.id, "expires": _stamp(instance)})


def acted_reply(instance: Instance, expires: datetime, action: str) -> Reply:
    """The DM at expiry: what was done, and how to get it back where that is possible."""
    stamp = expires.strftime("%Y-%m-%d %H:%M UTC")
    text = md(
        ":octagonal_sign: Your instance `{}`{} in `{}` expired at {}, so it is being *{}* (the policy's action).",
        instance.id,
        _name(instance),
        instance.region,
        stamp,
        DONE[action],
    )
    if action == "stop":
        text += md(
            " `{} start {} --region {}` starts it again, with a new expiry.", PREFIX, instance.id, instance.region
        )
    else:
        text += Mrkdwn(" Its volumes marked *deleted on termination* go with it.")
    return Reply(parts=[Text(text)], data={"instance": instance.id, "action": action})


def _stamp(instance: Instance) -> str | None:
    return instance.expires.isoformat() if instance.expires else None
