from bot.dispatch.registry import REGISTRY
from bot.dispatch.run import dispatch


def test_help_lists_every_subcommand_anyone_may_run_with_its_summary(ctx):
    reply = dispatch(ctx, "/image help")
    readable = [spec for spec in REGISTRY.commands() if spec.permission == "read"]
    assert len(readable) >= 8
    for spec in readable:
        assert f"/image {spec.name}`" in reply.text
        assert spec.summary in reply.text
    assert "/image audit`" not in reply.text  # admins only


def test_every_subcommand_has_a_summary_usage_and_example():
    for spec in REGISTRY.commands():
        assert spec.summary and spec.usage.startswith("/image ") and spec.example.startswith("/image ")


def test_help_for_one_subcommand_shows_usage_and_example(ctx):
    reply = dispatch(ctx, "/image help help")
    assert "Usage" in reply.text and "/image help ami status" in reply.text


def test_help_for_an_unknown_subcommand_suggests(ctx):
    reply = dispatch(ctx, "/image help hepl")
    assert not reply.ok and "`help`" in reply.text
