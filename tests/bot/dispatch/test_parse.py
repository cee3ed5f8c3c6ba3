import pytest

from bot.core.command import Command
from bot.core.errors import CommandError
from bot.core.reply import Reply
from bot.dispatch.parse import parse
from bot.dispatch.run import dispatch
from bot.framework.context import Context
from bot.framework.options import Flag, Text
from bot.framework.subcommand import Registry, subcommand


@subcommand(
    "ami status",
    usage="/image ami status <ami-id> [--region R]",
    example="/image ami status ami-0abc",
    options={"region": Text(), "name": Text(), "all": Flag()},
    min_args=1,
    max_args=1,
)
def _status(ctx: Context, cmd: Command) -> Reply:
    """Show an AMI."""
    return Reply.message(f"{cmd.args} {cmd.options}")


@subcommand("ami copies", usage="/image ami copies <ami-id>", example="/image ami copies ami-0abc", min_args=1)
def _copies(ctx: Context, cmd: Command) -> Reply:
    """List copies."""
    return Reply.message("copies")


@subcommand("help", usage="/image help", example="/image help")
def _help(ctx: Context, cmd: Command) -> Reply:
    """Help."""
    return Reply.message("help")


@subcommand("crash", usage="/image crash", example="/image crash")
def _crash(ctx: Context, cmd: Command) -> Reply:
    """Fails with a bug."""
    raise RuntimeError("boom: secret internals")


REG = Registry([_status, _copies, _help, _crash])


@pytest.mark.parametrize(
    "text",
    [
        "/image ami status ami-0abc --region eu-west-1",
        "ami status ami-0abc --region=eu-west-1",
        "ami status region=eu-west-1 ami-0abc",
        "AMI Status ami-0abc --region 'eu-west-1'",
    ],
)
def test_options_in_every_spelling_mean_the_same(text):
    cmd = parse(text, REG)
    assert cmd.name == "ami status"
    assert cmd.args == ("ami-0abc",)
    assert cmd.option("region") == "eu-west-1"


def test_quotes_group_words_and_flags_take_no_value():
    cmd = parse('ami status "my image*" --all --name "web base"', REG)
    assert cmd.args == ("my image*",)
    assert cmd.flag("all") is True
    assert cmd.option("name") == "web base"


def test_slack_curly_quotes_work_like_straight_ones():
    assert parse("ami status \u201cmy image\u201d", REG).args == ("my image",)


def test_bare_command_is_help():
    assert parse("/image", REG).name == "help"
    assert parse("", REG).name == "help"


def test_unknown_subcommand_suggests_the_closest_names():
    with pytest.raises(CommandError) as err:
        parse("hlep", REG)
    assert "Did you mean `/image help`" in err.value.message


def test_typo_in_second_word_suggests_the_group_members():
    with pytest.raises(CommandError) as err:
        parse("ami statsu ami-0abc", REG)
    assert "`/image ami status`" in err.value.message


@pytest.mark.parametrize(
    "text, expected",
    [
        ("ami status ami-0abc --colour red", "has no option `--colour`"),
        ("ami status ami-0abc --region", "`--region` needs a value"),
        ("ami status", "Usage: `/image ami status <ami-id> [--region R]`"),
        ("ami status a b", "For example: `/image ami status ami-0abc`"),
        ('ami status "unclosed', "A quote is not closed"),
    ],
)
def test_bad_input_says_what_to_type(text, expected):
    with pytest.raises(CommandError) as err:
        parse(text, REG)
    assert expected in err.value.message


def test_a_bug_in_a_handler_becomes_a_reference_not_a_traceback(settings, services, caplog):
    reply = dispatch(Context(settings, services, registry=REG), "crash")
    assert not reply.ok
    assert "ref `" in reply.text and "boom" not in reply.text
    assert any(r.exc_info for r in caplog.records)


def test_registering_a_name_twice_is_refused():
    with pytest.raises(ValueError):
        Registry([_help, _help])
