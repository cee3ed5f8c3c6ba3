"""Arbitrary text never breaks the parser or a validator: the only error a user can meet is CommandError."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.aws import images, instances, regions
from bot.core.errors import CommandError
from bot.dispatch.parse import parse, tokenize
from bot.dispatch.registry import REGISTRY
from bot.docker.platforms import parse_platform
from bot.docker.reference import parse_reference

TEXT = st.text(max_size=200)
# text that looks like commands: subcommand names, options, quotes and odd characters mixed
WORDS = st.sampled_from(
    [
        *(s.name for s in REGISTRY.commands()),
        "--region",
        "--all",
        "--limit",
        "=",
        '"',
        "'",
        "ami-0abc",
        "\u201c",
        "--",
        "-",
        "help",
        "ami",
        "job",
        "key=value",
        "\x00",
        "\n",
        "🙂",
    ]
)
COMMANDY = st.lists(st.one_of(WORDS, TEXT), max_size=8).map(" ".join)
FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def only_command_errors(call, value):
    try:
        call(value)
    except CommandError as exc:
        assert exc.message.strip(), "a user-facing error always says something"


@FAST
@given(st.one_of(TEXT, COMMANDY))
def test_parser_raises_only_command_errors(text):
    only_command_errors(lambda t: parse(t, REGISTRY), text)
    only_command_errors(tokenize, text)


@FAST
@given(st.one_of(TEXT, st.from_regex(r"ami-[0-9a-fA-F]{0,20}", fullmatch=True)))
def test_ami_id_validator(text):
    only_command_errors(images.validate_ami_id, text)


@FAST
@given(st.one_of(TEXT, st.from_regex(r"[a-z]{2}-[a-z]{3,10}-[0-9]{1,2}", fullmatch=True)))
def test_region_validators(text):
    only_command_errors(regions.validate_region, text)
    only_command_errors(regions.validate_regions, text)


@FAST
@given(st.one_of(TEXT, st.from_regex(r"[a-z][0-9][a-z]{0,3}\.[0-9]?[a-z]{0,8}", fullmatch=True)))
def test_instance_type_validator(text):
    only_command_errors(instances.validate_instance_type, text)


@FAST
@given(
    st.one_of(
        TEXT,
        st.from_regex(
            r"([a-z0-9.:-]{1,20}/)?[a-z0-9._/-]{1,30}(:[\w.-]{1,20})?(@sha256:[0-9a-f]{0,64})?", fullmatch=True
        ),
    )
)
def test_image_reference_and_platform_parsers(text):
    only_command_errors(parse_reference, text)
    only_command_errors(parse_platform, text)
