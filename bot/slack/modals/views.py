"""The launch and copy modals, and the AMI choices of their external select, as `slack_sdk` models (validated)."""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import (
    Block,
    CheckboxesElement,
    ContextBlock,
    ExternalDataSelectElement,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    StaticMultiSelectElement,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from bot.aws.images import Image
from bot.core.blocks import clip
from bot.core.durations import duration_text
from bot.slack.modals.choices import deprecated
from bot.slack.modals.forms import (
    AMI_SELECT,
    COPY_FIELDS,
    COPY_FORM,
    LAUNCH_FIELDS,
    LAUNCH_FORM,
    MAX_COPY_REGIONS,
    VALUE,
    Metadata,
)
from handlers.launch import price_class

OPTION_TEXT = 75  # Slack's limit for an option's text
NOTHING_STARTS = "Nothing starts yet: the next step shows what would run, with *Confirm* and *Cancel*."


def launch_view(
    meta: Metadata, types: list[str], regions: list[str], ttls: list[int], default_ttl: int, ami: str = ""
) -> View:
    """The launch form; `ami` preselected (from a button), the region from `meta.region` when it is allowed."""
    region = meta.region if meta.region in regions else regions[0]
    ttl_options = [_option(duration_text(s), _ttl_label(s, default_ttl)) for s in ttls]
    blocks: list[Block] = [
        _select(LAUNCH_FIELDS["region"], "Region", [_option(r, r) for r in regions], initial=region),
        _ami_input(LAUNCH_FIELDS["ami"], ami, "Your available AMIs in that region; deprecated ones are marked."),
        _select(LAUNCH_FIELDS["type"], "Instance type", [_option(t, f"{t} · {price_class(t)}") for t in types]),
        _select(LAUNCH_FIELDS["ttl"], "Expires after", ttl_options, initial=duration_text(default_ttl)),
        InputBlock(
            block_id=LAUNCH_FIELDS["name"],
            label="Name",
            optional=True,
            element=PlainTextInputElement(action_id=VALUE, max_length=255, placeholder="imagebot-<AMI name>"),
        ),
        InputBlock(
            block_id=LAUNCH_FIELDS["allow-deprecated"],
            label="Deprecated AMI",
            optional=True,
            element=CheckboxesElement(action_id=VALUE, options=[_option("yes", "Launch it even if it is deprecated")]),
        ),
        ContextBlock(elements=[MarkdownTextObject(text=NOTHING_STARTS)]),
    ]
    return _modal(LAUNCH_FORM, "Launch an instance", blocks, meta)


def copy_view(meta: Metadata, regions: list[str], source_region: str, ami: str = "") -> View:
    """The copy form: the AMI (in the source region) and the destination regions allowed."""
    blocks: list[Block] = [
        _ami_input(COPY_FIELDS["ami"], ami, f"Your available AMIs in {source_region}."),
        InputBlock(
            block_id=COPY_FIELDS["regions"],
            label="Copy to",
            hint=f"One copy job per region, each confirmed on its own; at most {MAX_COPY_REGIONS} at a time.",
            element=StaticMultiSelectElement(
                action_id=VALUE,
                placeholder="Destination regions",
                options=[_option(r, r) for r in regions],
                max_selected_items=min(MAX_COPY_REGIONS, len(regions)),
            ),
        ),
        ContextBlock(elements=[MarkdownTextObject(text=NOTHING_STARTS)]),
    ]
    return _modal(COPY_FORM, "Copy an AMI", blocks, meta)


def ami_options(images: list[Image]) -> list[dict[str, Any]]:
    """The external select's answer: one option per AMI, deprecated ones marked."""
    return [_option(i.id, _ami_label(i)).to_dict() for i in images]


def _ami_label(image: Image) -> str:
    mark = "⚠ deprecated · " if deprecated(image) else ""
    name = image.name or "no name"
    return mark + clip(name, OPTION_TEXT - len(mark) - len(image.id) - 3) + f" · {image.id}"


def _ttl_label(seconds: int, default: int) -> str:
    label = "never (no expiry)" if seconds == 0 else duration_text(seconds)
    return f"{label} (default)" if seconds == default else label


def _ami_input(block_id: str, ami: str, hint: str) -> InputBlock:
    return InputBlock(
        block_id=block_id,
        label="AMI",
        hint=hint,
        element=ExternalDataSelectElement(
            action_id=AMI_SELECT,
            placeholder="Search by name or id",
            min_query_length=0,
            initial_option=_option(ami, ami) if ami else None,
        ),
    )


def _select(block_id: str, label: str, options: list[Option], initial: str | None = None) -> InputBlock:
    chosen = next((o for o in options if o.value == initial), options[0])
    element = StaticSelectElement(action_id=VALUE, options=options, initial_option=chosen)
    return InputBlock(block_id=block_id, label=label, element=element)


def _option(value: str, text: str) -> Option:
    return Option(value=value, text=PlainTextObject(text=clip(text, OPTION_TEXT)))


def _modal(callback_id: str, title: str, blocks: list[Block], meta: Metadata) -> View:
    view = View(
        type="modal",
        callback_id=callback_id,
        title=PlainTextObject(text=title),
        submit=PlainTextObject(text="Review"),
        close=PlainTextObject(text="Cancel"),
        blocks=blocks,
        private_metadata=meta.to_json(),
    )
    view.validate_json()
    return view
