"""Running a command end to end: parse, access check, the handler, the audit entry.

Expected failures are CommandErrors and become friendly replies; anything
else is a bug: logged with its traceback, answered with a reference id.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import replace

from bot.core.command import Command
from bot.core.errors import CommandError
from bot.core.metrics import COMMAND_SECONDS, COMMANDS
from bot.core.needs import merged
from bot.core.reply import Reply
from bot.core.scrub import scrub_reply
from bot.core.text import clean
from bot.dispatch.parse import parse
from bot.framework.context import Context
from bot.framework.subcommand import Registry, Subcommand

log = logging.getLogger(__name__)


def registry_of(ctx: Context) -> Registry:
    """The context's registry, else every subcommand (importing them all on first use: `imagebot ask` never does)."""
    if ctx.registry is not None:
        return ctx.registry
    from bot.dispatch.registry import REGISTRY

    return REGISTRY


def dispatch(ctx: Context, text: str) -> Reply:
    """Run command text end to end; expected errors become friendly replies. Every command is audited."""
    text = clean(text)  # the shell's and `imagebot run`'s edge (Slack's is bot.slack.app)
    try:
        command = parse(text, registry_of(ctx))
    except CommandError as exc:
        ctx.audit(text, "?", "invalid", "error")
        COMMANDS.labels("?", "invalid").inc()
        return scrub_reply(Reply.error(exc.message), ctx.services.scrub)
    return execute(ctx, command)


def execute(ctx: Context, command: Command) -> Reply:
    """Check access, run the handler, audit the outcome."""
    registry = registry_of(ctx)
    spec = registry.get(command.name)
    if spec is None:
        return Reply.error(registry.unknown_message([command.name]))
    denied = ctx.services.access.denial(ctx.user_id, ctx.channel_id, spec.permission)
    if denied:
        ctx.audit(command.text or command.name, command.name, "denied", "refused")
        COMMANDS.labels(command.name, "denied").inc()
        return scrub_reply(Reply.error(denied), ctx.services.scrub)
    with COMMAND_SECONDS.labels(command.name).time():
        reply = scrub_reply(_run(replace(ctx, registry=registry), spec, command), ctx.services.scrub)
    outcome = "ok" if reply.ok else "error"
    ctx.audit(command.text or command.name, command.name, "allowed", outcome, reply.job_id)
    COMMANDS.labels(command.name, outcome).inc()
    return reply


def _run(ctx: Context, spec: Subcommand, command: Command) -> Reply:
    """Only this catch-all turns a bug into a reference id; expected failures are CommandErrors.

    The input is validated first, then the services the subcommand needs are checked (short timeouts):
    a missing one is one line, at once, before the handler accepts any work.
    """
    try:
        if spec.validate is not None:
            spec.validate(command)
        ctx.services.ensure(merged(spec.needs_for(command)))
        return spec.handler(ctx, command)
    except CommandError as exc:
        return Reply.error(exc.message)
    except Exception:  # the one catch-all: log the traceback, give the user a reference
        ref = uuid.uuid4().hex[:8]
        log.exception("command failed", extra={"ref": ref, "user": ctx.user_id, "command": command.name})
        COMMANDS.labels(command.name, "bug").inc()
        return Reply.error(f"Something went wrong on my side (ref `{ref}`). It is logged; try again later.")
