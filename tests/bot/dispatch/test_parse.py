import pytest

from bot.core.command import Command
from bot.core.errors import CommandError
from bot.core.reply import Reply
from bot.dispatch.parse import parse, tokenize
from bot.dispatch.run import dispatch
from bot.framework.context import Context
from bot.framework.options import Flag, Number, Text
from bot.framework.subcommand import Registry, subcommand


@subcommand(
    "ami status",
    example="/image ami status ami-0abc",
    forms=("<ami-id>",),
    options={"region": Text(), "name": Text(), "all": Flag()},
)
def _status(ctx: Context, cmd: Command) -> Reply:
    """Show an AMI."""
    return Reply.message(f"{cmd.args} {cmd.options}")


@subcommand("ami copies", example="/image ami copies ami-0abc", forms=("<ami-id>...",))
def _copies(ctx: Context, cmd: Command) -> Reply:
    """List copies."""
    return Reply.message("copies")


@subcommand("help", example="/image help")
def _help(ctx: Context, cmd: Command) -> Reply:
    """Help."""
    return Reply.message("help")


@subcommand("crash", example="/image crash")
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


def test_an_apostrophe_inside_a_word_is_a_letter_not_a_quote():
    """`/image ask what's an AMI` is how people type; it used to say a quote was not closed."""
    assert tokenize("ask what's an ami") == ["ask", "what's", "an", "ami"]
    assert tokenize("ask i don't know what\u2019s in it") == ["ask", "i", "don't", "know", "what's", "in", "it"]
    assert parse('ami status ami-0abc --name "Ann\'s image"', REG).option("name") == "Ann's image"
    assert parse("ami status ami-0abc --name 'web base'", REG).option("name") == "web base"  # still a quote


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
        ("ami status", "Usage: `/image ami status <ami-id> [--region R] [--name N] [--all]`"),
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


@subcommand(
    "count",
    example="/image count --limit 20",
    options={"limit": Number(1, 100, default=10), "all": Flag()},
)
def _count(ctx: Context, cmd: Command) -> Reply:
    """Count."""
    return Reply.message(str(cmd.number("limit")))


NUMBERS = Registry([_count])


def test_a_number_option_is_converted_and_defaulted_by_the_parser():
    assert parse("count --limit 20", NUMBERS).options == {"limit": 20}
    assert parse("count", NUMBERS).options == {"limit": 10}
    assert parse("count limit=7 --all", NUMBERS).options == {"limit": 7, "all": True}
    assert parse("count --all=no", NUMBERS).options == {"limit": 10, "all": False}


@pytest.mark.parametrize("value", ["0", "101", "lots", "²", "１２", "-3", "1e2", "99999999999999999999"])
def test_a_bad_number_says_its_range_and_an_example(value):
    with pytest.raises(CommandError) as err:
        parse(f"count --limit {value}", NUMBERS)
    assert err.value.message == "`--limit` takes a number from 1 to 100, like `/image count --limit 10`."


def test_a_flag_given_a_value_it_does_not_know_says_how_to_write_it():
    with pytest.raises(CommandError, match="is a flag: write `--all` on its own"):
        parse("count --all=maybe", NUMBERS)


@pytest.mark.parametrize("permission", ["launch", "lauch", None])
def test_a_subcommand_whose_permission_is_not_a_permission_stops_the_registry(permission):
    @subcommand("deploy", example="/image deploy", permission=permission)
    def deploy(ctx: Context, cmd: Command) -> Reply:
        """Deploy."""
        return Reply.message("deployed")

    with pytest.raises(ValueError, match="is not a Permission"):
        Registry([deploy])


def test_a_number_option_whose_default_is_out_of_range_stops_the_registry():
    @subcommand("page", example="/image page", options={"size": Number(1, 10, default=50)})
    def page(ctx: Context, cmd: Command) -> Reply:
        """Page."""
        return Reply.message("paged")

    with pytest.raises(ValueError, match="default of --size"):
        Registry([page])


@pytest.mark.parametrize(
    "text, expected",
    [
        ("/image jobs --limit ²", "`--limit` takes a number from 1 to 100"),
        ("/image audit --limit ³", "`--limit` takes a number from 1 to 200"),
        ("/image job check --seconds ¹", "`--seconds` takes a number from 1 to 60"),
        ("/image job check --seconds 61", "`--seconds` takes a number from 1 to 60"),
    ],
)
def test_every_numeric_option_of_the_real_commands_is_checked_before_the_handler(ctx, text, expected):
    reply = dispatch(ctx, text)
    assert not reply.ok and expected in reply.text and "Something went wrong" not in reply.text


@pytest.mark.parametrize(
    "text, expected",
    [
        ("/image ami stauts ami-0abc", "`/image ami` has no subcommand `stauts`. Did you mean `/image ami status`?"),
        ("/image docker inspcet nginx", "Did you mean `/image docker inspect`?"),
        ("/image job cancle 7f3a", "`/image job` has no subcommand `cancle`. Did you mean `/image job cancel`?"),
        ("/image kb vtoe ami-types up", "Did you mean `/image kb vote`?"),
        ("/image ami", "`/image ami` needs a subcommand: `/image ami status`, `/image ami copies`, `/image ami copy`"),
        ("/image ami status ami-0abc --regoin eu-west-1", "has no option `--regoin`. Did you mean `--region`?"),
        ("/image ami copy ami-0abc eu-west-1 --source-regoin us-east-1", "Did you mean `--source-region`?"),
        ("/image jobs --limt 5", "Did you mean `--limit`?"),
    ],
)
def test_typos_in_group_subcommands_and_option_names_get_did_you_mean(ctx, text, expected):
    reply = dispatch(ctx, text)
    assert not reply.ok and expected in reply.plain, reply.plain
    assert "I don't know" not in reply.plain


def test_a_job_id_is_not_taken_for_a_typo():
    from bot.dispatch.registry import REGISTRY

    assert parse("job 7f3a", REGISTRY).args == ("7f3a",)
    assert parse("job check", REGISTRY).name == "job check"


def test_a_long_unknown_word_is_shown_shortened_once():
    with pytest.raises(CommandError) as err:
        parse("ami status ami-0abc --" + "k" * 3000, REG)
    assert len(err.value.message) < 400 and err.value.message.count("kkk…") == 1
    with pytest.raises(CommandError) as err:
        parse("z" * 3000, REG)
    assert len(err.value.message) < 400 and err.value.message.count("zzz…") == 1
