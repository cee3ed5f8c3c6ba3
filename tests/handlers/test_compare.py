import pytest
from slack_sdk.models.blocks import Block

from bot.commands import dispatch
from knowledge.base import load_dimensions


def test_table_shows_every_dimension_for_both_and_lists_them(ctx):
    reply = dispatch(ctx, "/image compare")
    blocks = reply.to_blocks()
    for raw in blocks:
        Block.parse(raw).validate_json()
    shown = str(blocks)
    for dim in load_dimensions():
        assert dim.name in shown and dim.docker in shown and dim.ami in shown
    footer = [b for b in blocks if b["type"] == "context"][-1]["elements"][0]["text"]
    assert all(f"`{d.id}`" in footer for d in load_dimensions())
    assert reply.ephemeral


@pytest.mark.parametrize("name", ["startup", "Start-up time", "boot time", "strtup", "cold start"])
def test_one_dimension_by_id_alias_or_typo(ctx, name):
    reply = dispatch(ctx, f'/image compare "{name}"')
    assert reply.ok, reply.text
    assert reply.text.startswith("Start-up time: Docker image vs AMI")
    assert "Related topics" in reply.text


def test_unknown_dimension_lists_the_choices(ctx):
    reply = dispatch(ctx, "/image compare flavour")
    assert not reply.ok and "`isolation`" in reply.text and "/image compare isolation" in reply.text


def test_shared_comparison_is_in_channel(ctx):
    reply = dispatch(ctx, "/image compare isolation --shared")
    assert reply.ephemeral is False and "Shared by <@U0USER>" in reply.text


def test_concrete_comparison_says_it_is_not_there_yet(ctx):
    reply = dispatch(ctx, "/image compare ami-0123456789abcdef0 nginx:1.27")
    assert not reply.ok and "/image compare startup" in reply.text
