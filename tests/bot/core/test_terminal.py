"""The terminal shows what Slack would show: mentions, links, emoji and emphasis converted, nothing raw."""

import re

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from bot.core.markup import link, md, mention
from bot.core.parts import Fields, Footer, Header, Text
from bot.core.reply import Reply
from bot.core.terminal import plain, render_text
from tests.support.hostile import FRAGMENTS, hostile_text

OUR_STYLES = re.compile(r"\033\[(?:1|3|9|22|23|29|36|39)m")


@pytest.mark.parametrize(
    "mrkdwn, shown",
    [
        ("Canceled by <@U_LOCAL>: nothing started.", "Canceled by @U_LOCAL: nothing started."),
        ("Asked by <@U1|ann>", "Asked by @ann"),
        ("Only in <#C0OPS> and <#C1|ops>", "Only in #C0OPS and #ops"),
        ("<!here> <!channel> <!everyone>", "@here @channel @everyone"),
        ("<!subteam^S0TEAM|@platform> and <!subteam^S0TEAM>", "@platform and @S0TEAM"),
        ("at <!date^1392734382^{date}|Feb 18>", "at Feb 18"),
        ("see <https://x.example/a?b=1&amp;c=2|the docs>", "see the docs (https://x.example/a?b=1&c=2)"),
        ("see <https://x.example/>", "see https://x.example/"),
        ("<mailto:ops@x.example|ops>", "ops (mailto:ops@x.example)"),
    ],
)
def test_tokens_become_what_slack_shows(mrkdwn, shown):
    assert plain(mrkdwn) == shown


@pytest.mark.parametrize(
    "mrkdwn, shown",
    [
        (":no_entry_sign: Job `7f3a` was canceled", "⊘ Job `7f3a` was canceled"),
        (":white_check_mark: available", "✓ available"),
        (":warning: deprecated", "! deprecated"),
        (":rocket: launched", "launched"),  # unknown: left out, and its space with it
        ("keys imagebot:job:7f3a at 10:30:45", "keys imagebot:job:7f3a at 10:30:45"),  # not emoji
        ("arn:aws:iam::123456789012:role/x", "arn:aws:iam::123456789012:role/x"),
    ],
)
def test_emoji_codes_become_a_symbol_or_nothing(mrkdwn, shown):
    assert plain(mrkdwn) == shown


def test_emphasis_is_plain_text_without_a_terminal_and_ansi_with_one():
    text = "*AMI* _copy of web-base_ ~old~ `ami-0abc`"
    assert plain(text) == "AMI copy of web-base old `ami-0abc`"  # code keeps its backticks: what to type
    assert plain(text, color=True) == (
        "\033[1mAMI\033[22m \033[3mcopy of web-base\033[23m \033[9mold\033[29m \033[36mami-0abc\033[39m"
    )


def test_nested_styles_close_each_other_and_code_is_left_alone():
    assert plain("*bold _both_*", color=True) == "\033[1mbold \033[3mboth\033[23m\033[22m"
    assert plain("`*not bold* <@U1> &amp;`", color=True) == "\033[36m*not bold* <@U1> &\033[39m"


def test_words_with_marks_inside_stay_as_they_are():
    assert plain("snake_case_name and 2*3*4 and a`b") == "snake_case_name and 2*3*4 and a`b"


def test_entities_are_decoded_exactly_once():
    assert plain("R&amp;D &amp;lt;b&amp;gt; &lt;@U1&gt;") == "R&D &lt;b&gt; <@U1>"


def test_outside_text_is_shown_as_typed_never_as_a_mention_or_link():
    tag = "<@U0ADMIN> <!here> <https://evil.example|reset> R&D"
    assert plain(md("Tag: {}", tag)) == f"Tag: {tag}"


def test_control_characters_never_reach_the_terminal():
    title = "web\x1b]0;pwned\x07\x1b[2J"
    shown = render_text(Reply(parts=[Header(title), Text(md("tag {}", title)), Fields((("Name", title),))]), True)
    assert "\x07" not in shown and "]0;pwned" in shown
    assert not OUR_STYLES.sub("", shown).count("\x1b")


def test_a_reply_renders_without_raw_markup():
    reply = Reply(
        parts=[
            Header("Copy ami-0abc to eu-west-1?"),
            Text(md(":no_entry_sign: {} canceled it; _copy of {}_", mention("U_LOCAL"), "web")),
            Fields((("Docs", link("https://x.example/?a=1&b=2", "EC2 AMIs")),)),
            Footer(md("Only {} can confirm.", mention("U_LOCAL"))),
        ]
    )
    for color in (False, True):
        shown = OUR_STYLES.sub("", render_text(reply, color=color))
        assert "⊘ @U_LOCAL canceled it; copy of web" in shown
        assert "EC2 AMIs (https://x.example/?a=1&b=2)" in shown
        assert "Only @U_LOCAL can confirm." in shown
        for raw in ("<@", ":no_entry_sign:", "_copy", "&amp;", "<http"):
            assert raw not in shown
    assert Reply.error("no such region").plain == "! no such region"


@given(hostile_text())
def test_hostile_outside_text_is_shown_exactly_as_it_came(text):
    """What came from outside, markup-free, reads back unchanged: no token converted, no entity decoded twice."""
    outside = re.sub(r"[*_~`:\x00-\x1f\x7f-\x9f\ue000]", "", text)
    assert plain(md("[{}]", outside)) == f"[{outside}]"
    assert plain(md("[{}]", outside), color=True) == f"[{outside}]"


@given(st.lists(st.sampled_from([*FRAGMENTS, "*", "_", "`", ":x:", "\x1b", "\ue000", " "]), max_size=12).map("".join))
@example(text="`\ue000`")  # the stand-in inside a code span (a CI run found it)
def test_any_mix_of_markup_renders_without_crashing_or_escapes(text):
    for color in (False, True):
        shown = plain(text, color=color)
        assert "\ue000" not in shown
        assert "\x1b" not in OUR_STYLES.sub("", shown)
