"""The markup helpers: outside text escaped exactly once, the bot's own mentions and links only when well formed."""

from hypothesis import given
from hypothesis import strategies as st

from bot.core.markup import Mrkdwn, as_mrkdwn, channel, link, md, mention, unescape


def test_md_escapes_its_arguments_and_keeps_its_template():
    assert md("Job `{}` failed: {}", "7f<3", "<!here> R&D") == "Job `7f&lt;3` failed: &lt;!here&gt; R&amp;D"
    assert md("{:.1f} s", 3.14159) == "3.1 s"


def test_markup_passed_to_md_is_not_escaped_again():
    who = mention("U0USER")
    assert md("Shared by {}", who) == "Shared by <@U0USER>"
    assert md("{}", md("{}", "&")) == "&amp;"
    assert Mrkdwn(", ").join([who, "<b>"]) == "<@U0USER>, &lt;b&gt;"


def test_a_mention_or_channel_is_made_only_of_an_id():
    assert mention("U0123ABC") == "<@U0123ABC>" and channel("C0OPS") == "<#C0OPS>"
    assert mention("<!here>") == "&lt;!here&gt;" and mention("U1") == "U1"
    assert channel("general>") == "general&gt;"


def test_a_link_is_made_only_for_http_urls_and_its_label_cannot_break_out():
    assert link("https://docs.aws.amazon.com/a?b=1&c=2", "EC2 <guide>") == (
        "<https://docs.aws.amazon.com/a?b=1&amp;c=2|EC2 &lt;guide&gt;>"
    )
    assert link("https://x.example/|<!here>", "x").count("<") == 1  # a `|` or `<` in the URL is encoded
    assert link("javascript:alert(1)", "click") == "click (javascript:alert(1))"


@given(st.text())
def test_escaping_is_exact_and_done_once(text):
    escaped = as_mrkdwn(text)
    assert "<" not in escaped and ">" not in escaped
    assert unescape(escaped) == text
    assert as_mrkdwn(escaped) == escaped  # markup is never escaped a second time
