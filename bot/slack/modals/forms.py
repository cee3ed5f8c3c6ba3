"""The launch and copy forms as commands: which block holds which option, the same checks the typed command
runs (before the ack, so a bad field gets its error in place), and the command text a submission becomes.

A form holds no handler logic: a submission becomes the text someone could have typed
(`/image launch ami-… --type t3.micro --region eu-west-1 --ttl 8h --name x`), parsed and dispatched like it,
and audited with the same text as that typed command.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from bot.access.guardrails import check_copy, check_launch_region, check_launch_type, check_ttl
from bot.aws.images import validate_ami_id
from bot.aws.regions import validate_region
from bot.core.blocks import plain_text
from bot.core.durations import parse_duration
from bot.core.errors import CommandError
from bot.dispatch.parse import CURLY_QUOTES
from bot.framework.context import Context
from bot.framework.subcommand import Subcommand
from bot.slack.modals.choices import ttl_rules_of

LAUNCH_FORM = "imagebot.form.launch"  # callback_id of the view
COPY_FORM = "imagebot.form.copy"
AMI_SELECT = "imagebot.form.ami"  # action_id of the external select; its options come from block_suggestion
VALUE = "value"  # the action_id of every other input: the block_id says which field it is

# option name -> block_id: where a field is, and where an error about that option is shown
LAUNCH_FIELDS = {
    "ami": "ami",
    "type": "type",
    "region": "region",
    "ttl": "ttl",
    "name": "name",
    "allow-deprecated": "deprecated",
}
COPY_FIELDS = {"ami": "ami", "regions": "regions"}

Check = Callable[[Context, Subcommand, str], object]
MAX_COPY_REGIONS = 5  # each region's confirmation is one answer through the response_url, which takes five


@dataclass(frozen=True)
class Metadata:
    """What a view carries to its submission (`private_metadata`, which only Slack and the bot see)."""

    channel: str = ""  # where the form was opened: the confirmation is shown there
    response_url: str = ""  # the command's or the button's, to answer in that channel ephemerally
    region: str = ""  # launch: the region preselected; copy: the source region

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, raw: str | None) -> Metadata:
        try:
            data = json.loads(raw or "{}")
        except ValueError:
            return cls()
        return (
            cls(**{k: str(v) for k, v in data.items() if k in cls.__dataclass_fields__})
            if isinstance(data, dict)
            else cls()
        )


def state_values(view: dict[str, Any], fields: dict[str, str]) -> dict[str, list[str]]:
    """Each option's chosen value(s) in a submitted view (option name -> values; absent when left empty)."""
    blocks = (view.get("state") or {}).get("values") or {}
    out: dict[str, list[str]] = {}
    for option, block_id in fields.items():
        chosen = [v for element in (blocks.get(block_id) or {}).values() for v in _element_values(element)]
        if chosen:
            out[option] = chosen
    return out


def _element_values(element: dict[str, Any]) -> list[str]:
    if element.get("selected_option"):
        return [str(element["selected_option"].get("value") or "")]
    if element.get("selected_options"):
        return [str(o.get("value") or "") for o in element["selected_options"]]
    value = str(element.get("value") or "").strip()
    return [value] if value else []


def _option(spec: Subcommand, name: str, value: str) -> str:
    """The typed command's own conversion of an option value (the parser calls the same)."""
    return str(spec.options[name].parse(value, name, spec.name))


LAUNCH_CHECKS: dict[str, Check] = {
    "ami": lambda ctx, spec, v: validate_ami_id(v),
    "type": lambda ctx, spec, v: check_launch_type(ctx.services.policy, _option(spec, "type", v)),
    "region": lambda ctx, spec, v: check_launch_region(ctx.services.policy, _option(spec, "region", v)),
    "ttl": lambda ctx, spec, v: check_ttl(ttl_rules_of(ctx), parse_duration(_option(spec, "ttl", v))),
    "name": lambda ctx, spec, v: _option(spec, "name", v),
}
COPY_CHECKS: dict[str, Check] = {
    "ami": lambda ctx, spec, v: validate_ami_id(v),
    "regions": lambda ctx, spec, v: check_copy(ctx.services.policy, validate_region(v)),
}


@dataclass(frozen=True)
class Form:
    """One modal: the subcommand it stands for, its fields, their checks, and the commands a submission makes."""

    command: str
    fields: dict[str, str]
    checks: dict[str, Check]
    texts: Callable[[dict[str, list[str]], Metadata], list[str]]
    most: dict[str, int] = field(default_factory=dict)  # option -> how many values it may have


def field_errors(ctx: Context, spec: Subcommand, form: Form, values: dict[str, list[str]]) -> dict[str, str]:
    """block_id -> the first problem with that field, from the typed command's own checks; empty when all pass."""
    errors: dict[str, str] = {}
    fields, checks = form.fields, form.checks
    for option, most in form.most.items():
        if len(values.get(option, [])) > most:
            errors[fields[option]] = f"Choose at most {most}."
    for option, check in checks.items():
        for value in values.get(option, []):
            try:
                check(ctx, spec, value)
            except CommandError as exc:
                errors.setdefault(fields[option], field_message(exc.message))
                break
    return errors


def field_message(message: str) -> str:
    """A CommandError as a field error, which Slack shows as plain text."""
    return plain_text(message).replace("`", "")


def launch_text(values: dict[str, list[str]]) -> str:
    """The command a launch form stands for, as someone would type it."""
    words = ["launch", *values.get("ami", [])[:1]]
    for option in ("type", "region", "ttl", "name"):
        if values.get(option):
            words += [f"--{option}", values[option][0]]
    if values.get("allow-deprecated"):
        words.append("--allow-deprecated")
    return _text(words)


def copy_texts(values: dict[str, list[str]], source_region: str) -> list[str]:
    """One `ami copy` per destination region (the typed command copies to one region)."""
    ami = values.get("ami", [])[:1]
    source = ["--source-region", source_region] if source_region else []
    return [_text(["ami", "copy", *ami, region, *source]) for region in dict.fromkeys(values.get("regions", []))]


def _text(words: list[str]) -> str:
    """As Slack hands over a typed `/image …`: the words after the command, so the audit reads the same.
    Curly quotes become straight ones first, as the parser makes them in typed text."""
    return " ".join(shlex.quote(w.translate(CURLY_QUOTES)) for w in words)


LAUNCH = Form("launch", LAUNCH_FIELDS, LAUNCH_CHECKS, lambda values, meta: [launch_text(values)])
COPY = Form(
    "ami copy",
    COPY_FIELDS,
    COPY_CHECKS,
    lambda values, meta: copy_texts(values, meta.region),
    most={"regions": MAX_COPY_REGIONS},
)
FORMS = {LAUNCH_FORM: LAUNCH, COPY_FORM: COPY}  # callback_id -> form
