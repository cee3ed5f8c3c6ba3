"""The launch and copy modals: opened by `/image launch` or `/image ami copy` with no arguments (or a button on
`ami status`), their AMI select's options, and their submission, which becomes a typed command.

No handler logic lives here: a submission is checked field by field with the typed command's own checks
(so an error lands on its field), turned into the command text and run through dispatch (access check,
audit, the handler's DryRun), and its proposal is offered with Confirm/Cancel like a typed one. That reply
goes, ephemerally, to the channel the form was opened from: through the command's (or button's)
`response_url` carried in the view's `private_metadata`, else `chat.postEphemeral`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App
from slack_bolt.context.respond import Respond as ResponseUrl
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.models.views import View

from bot.aws.images import Image, looks_like_ami_id
from bot.aws.regions import known_regions
from bot.core.command import PREFIX, Command
from bot.core.errors import CommandError
from bot.core.permissions import Permission
from bot.core.reply import Reply
from bot.core.text import clean
from bot.dispatch.parse import parse
from bot.dispatch.run import execute
from bot.framework.context import Context
from bot.slack.modals.choices import (
    copy_regions,
    launch_regions,
    launch_types,
    launchable_images,
    owned_images,
    ttl_choices,
    ttl_rules_of,
)
from bot.slack.modals.forms import (
    AMI_SELECT,
    COPY,
    FORMS,
    LAUNCH,
    LAUNCH_FORM,
    Metadata,
    field_errors,
    field_message,
    state_values,
)
from bot.slack.modals.views import ami_options, copy_view, launch_view
from bot.slack.replies import message_payload, restarted, settle
from bot.slack.work import WorkPool
from handlers.shared.ami import OPEN_COPY, OPEN_LAUNCH

log = logging.getLogger(__name__)

ContextFor = Callable[[str, str], Context]
OPENED_BY = {OPEN_LAUNCH: LAUNCH.command, OPEN_COPY: COPY.command}  # button action_id -> the form's command
FORM_COMMANDS = {form.command for form in FORMS.values()}
OPEN_ACTION = re.compile(rf"^(?:{re.escape(OPEN_LAUNCH)}|{re.escape(OPEN_COPY)})$")


def register(app: App, context_for: ContextFor, pool: WorkPool) -> None:
    """Wire the modals into `app`; call it before the general `/image` and button listeners (the first match wins)."""

    @app.command(PREFIX, matchers=[lambda command: form_command(command.get("text", "")) is not None])
    def on_form_command(ack: Ack, command: dict[str, Any], client: WebClient) -> None:
        ctx = context_for(command.get("user_id", ""), command.get("channel_id", ""))
        meta = Metadata(channel=ctx.channel_id, response_url=command.get("response_url", ""))
        form = form_view(ctx, form_command(command.get("text", "")) or "", meta)
        if isinstance(form, Reply):
            ack(response_type="ephemeral", **message_payload(form))
            return
        ack()
        problem = open_view(client, command.get("trigger_id", ""), form)
        if problem is not None:
            deliver(client, ctx, meta, problem)

    @app.action(OPEN_ACTION)
    def on_open(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        ack()
        ctx = context_for(body.get("user", {}).get("id", ""), (body.get("channel") or {}).get("id", ""))
        ami, _, region = clean(action.get("value") or "").partition(" ")
        region = region if region in known_regions() else ""
        meta = Metadata(channel=ctx.channel_id, response_url=body.get("response_url", ""), region=region)
        form = form_view(ctx, OPENED_BY[action["action_id"]], meta, ami if looks_like_ami_id(ami) else "")
        problem = form if isinstance(form, Reply) else open_view(client, body.get("trigger_id", ""), form)
        if problem is not None:  # a click on the App Home has no response_url: deliver() answers in the DM
            deliver(client, ctx, meta, problem)

    @app.options(AMI_SELECT)
    def on_ami_options(ack: Ack, body: dict[str, Any]) -> None:
        view = body.get("view") or {}
        meta = Metadata.from_json(view.get("private_metadata"))
        ctx = context_for(body.get("user", {}).get("id", ""), meta.channel)
        try:
            images = ami_choices(ctx, view, meta, clean(body.get("value") or ""))
        except CommandError as exc:  # AWS refused or is unreachable: an empty list, and the reason in the log
            log.warning("cannot list AMIs for a form", extra={"error": exc.message})
            images = []
        ack(options=ami_options(images))

    @app.view(re.compile(r"^imagebot\.form\."))
    def on_submit(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        meta = Metadata.from_json(view.get("private_metadata"))
        ctx = context_for(body.get("user", {}).get("id", ""), meta.channel)
        commands, errors = submitted(ctx, view, meta)
        if errors:
            ack(response_action="errors", errors=errors)
            return
        ack()  # closes the form; the confirmation follows in the channel
        what = commands[0].text if commands else "the form"
        pool.submit(
            lambda: run_commands(client, ctx, meta, commands),
            lambda: deliver(client, ctx, meta, restarted(what)),
        )


def form_command(text: str) -> str | None:
    """`launch` or `ami copy` when typed with nothing else (a form opens), else None (the command runs)."""
    words = " ".join(clean(text).lower().split())
    words = words.removeprefix(f"{PREFIX} ")
    return words if words in FORM_COMMANDS else None


def form_view(ctx: Context, command: str, meta: Metadata, ami: str = "") -> View | Reply:
    """The form for `command` with the choices this person's policy allows, or why there is none."""
    spec = ctx.subcommands.get(command)
    if spec is None:
        return Reply.error(ctx.subcommands.unknown_message(command.split()))
    denied = ctx.services.access.denial(ctx.user_id, ctx.channel_id, spec.permission)
    if denied:
        return Reply.error(denied)
    contact = ctx.services.policy.contact
    if command == "launch":
        types, regions = launch_types(ctx, str(spec.options["type"].default)), launch_regions(ctx)
        if not types or not regions:
            return Reply.error(f"The policy allows no instance types or regions to launch in. Ask {contact}.")
        rules = ttl_rules_of(ctx)
        return launch_view(meta, types, regions, ttl_choices(rules), rules.default, ami)
    source = meta.region or ctx.settings.aws_region
    regions = copy_regions(ctx, source)
    if not regions:
        return Reply.error(f"The policy allows no regions to copy `{source}`'s AMIs to. Ask {contact}.")
    return copy_view(meta, regions, source, ami)


def open_view(client: WebClient, trigger_id: str, view: View) -> Reply | None:
    """`views.open`; None when it opened, else what to tell the person."""
    try:
        client.views_open(trigger_id=trigger_id, view=view)
    except SlackApiError as exc:
        error = str(exc.response.get("error") or "unknown")
        log.warning("views.open failed", extra={"error": error})
        return Reply.error(
            f"Slack did not open the form ({error}). Try again, or type the command: `{PREFIX} help launch`."
        )
    return None


def ami_choices(ctx: Context, view: dict[str, Any], meta: Metadata, query: str) -> list[Image]:
    """The AMIs the form may offer: for launch, in the region chosen (when allowed); for copy, in the source."""
    if view.get("callback_id") == LAUNCH_FORM:
        if not ctx.may(Permission.LAUNCH):
            return []
        chosen = state_values(view, {"region": LAUNCH.fields["region"]}).get("region", [])
        region = next(iter(chosen), "") or meta.region or ctx.settings.aws_region
        return launchable_images(ctx, region, query)
    if not ctx.may(Permission.COPY):
        return []
    return owned_images(ctx, meta.region or ctx.settings.aws_region, query)


def submitted(ctx: Context, view: dict[str, Any], meta: Metadata) -> tuple[list[Command], dict[str, str]]:
    """The commands a submitted form stands for, or its field errors (block_id -> message)."""
    form = FORMS.get(str(view.get("callback_id")))
    spec = ctx.subcommands.get(form.command) if form else None
    if form is None or spec is None:
        return [], {}
    values = state_values(view, form.fields)
    errors = field_errors(ctx, spec, form, values)
    if errors:
        return [], errors
    try:
        return [parse(clean(text), ctx.subcommands) for text in form.texts(values, meta)], {}
    except CommandError as exc:  # not expected after the checks; shown on the AMI, the one field always there
        return [], {form.fields["ami"]: field_message(exc.message)}


def run_commands(client: WebClient, ctx: Context, meta: Metadata, commands: list[Command]) -> None:
    """Each command through dispatch, its proposal offered with Confirm/Cancel, answered in the channel."""
    for cmd in commands:
        deliver(client, ctx, meta, settle(ctx, execute(ctx, cmd), cmd))


def deliver(client: WebClient, ctx: Context, meta: Metadata, reply: Reply) -> None:
    """An ephemeral answer where the form was opened: its response_url when there is one, else chat.postEphemeral
    (or, with no channel, a DM)."""
    payload = message_payload(reply)
    if meta.response_url:
        answer = ResponseUrl(response_url=meta.response_url)(
            response_type="ephemeral", replace_original=False, **payload
        )
        if answer.status_code == 200:
            return
        log.warning("a form's response_url refused its answer", extra={"status": answer.status_code})
    try:
        if meta.channel:
            client.chat_postEphemeral(channel=meta.channel, user=ctx.user_id, **payload)
        else:  # opened where there is no channel (App Home): the person's DM with the bot
            client.chat_postMessage(channel=ctx.user_id, **payload)
    except SlackApiError as exc:
        log.warning("cannot answer a form", extra={"error": exc.response.get("error")})
