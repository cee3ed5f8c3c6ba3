import pytest

from bot.dispatch.parse import parse
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
        assert spec.summary and spec.example.startswith("/image ")
        assert spec.usages and all(u.startswith(f"/image {spec.name}") for u in spec.usages)


def test_help_for_one_subcommand_shows_usage_and_example(ctx):
    reply = dispatch(ctx, "/image help help")
    assert "Usage" in reply.text and "/image help ami status" in reply.text


def test_help_for_an_unknown_subcommand_suggests(ctx):
    reply = dispatch(ctx, "/image help hepl")
    assert not reply.ok and "`help`" in reply.text


def test_help_for_compare_shows_every_form(ctx):
    reply = dispatch(ctx, "/image help compare")
    assert reply.ok
    assert "/image compare [topic...] [--shared]" in reply.plain
    assert "/image compare <ami-id | name> <image-ref> [--region R]" in reply.plain


def test_every_example_parses_as_its_own_subcommand():
    """The usage lines and the argument counts come from one declaration: each example fits them."""
    for spec in REGISTRY.commands():
        assert parse(spec.example, REGISTRY).name == spec.name, spec.example


@pytest.mark.parametrize("spec", REGISTRY.commands(), ids=lambda s: s.name)
@pytest.mark.parametrize("word", ["-h", "--help", "-H"])
def test_help_words_after_any_subcommand_show_its_help(ops, spec, word):
    whole = spec.name != "help" and not spec.free_text  # a question may mention `--help`: there, only on its own
    texts = [f"/image {spec.name} {word}"] + ([f"{spec.example} {word}"] if whole else [])
    for text in texts:
        reply = dispatch(ops, text)
        assert reply.ok, (text, reply.plain)
        assert reply.plain.startswith(f"/image {spec.name}\n"), (text, reply.plain)
        assert all(usage in reply.plain for usage in spec.usages), (text, reply.plain)


def test_help_for_a_group_lists_its_subcommands_with_their_forms(ctx):
    for text in ("/image help ami", "/image ami -h", "/image ami --help"):
        reply = dispatch(ctx, text)
        assert reply.ok, reply.plain
        for name in ("ami status", "ami copies", "ami copy"):
            assert all(usage in reply.plain for usage in REGISTRY.get(name).usages)


def test_a_help_word_on_its_own_is_the_general_help(ctx):
    assert dispatch(ctx, "/image -h").plain == dispatch(ctx, "/image help").plain
    assert dispatch(ctx, "/image help launch -h").plain == dispatch(ctx, "/image help launch").plain
    assert dispatch(ctx, "/image --help launch").plain == dispatch(ctx, "/image help launch").plain


def test_a_question_that_mentions_help_is_still_a_question(ctx):
    reply = dispatch(ctx, "/image ask what does docker run --help print")
    assert not reply.plain.startswith("/image ask\n")
