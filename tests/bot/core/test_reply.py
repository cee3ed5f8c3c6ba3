from slack_sdk.models.blocks import Block

from bot.core.blocks import MAX_BLOCKS, split_mrkdwn
from bot.core.markup import link, md
from bot.core.parts import Button, Buttons, Confirm, Fields, Header, Text
from bot.core.reply import Reply
from bot.core.terminal import render_text

DOCS = link("https://example.com", "the docs")


def slack_accepts(blocks):
    """Round-trip through slack_sdk's models, which raise on anything Slack would reject."""
    assert len(blocks) <= MAX_BLOCKS
    for raw in blocks:
        Block.parse(raw).validate_json()


def test_long_text_is_split_into_sections_slack_accepts():
    reply = Reply(parts=[Text("\n".join(f"line {i} " + "x" * 80 for i in range(200)))])
    blocks = reply.to_blocks()
    slack_accepts(blocks)
    assert len(blocks) > 1
    joined = "\n".join(b["text"]["text"] for b in blocks)
    assert "line 0 " in joined and "line 199 " in joined


def test_split_code_fences_are_closed_and_reopened():
    text = "intro\n```\n" + "\n".join(f"echo {i}" for i in range(800)) + "\n```"
    for chunk in split_mrkdwn(text):
        assert chunk.count("```") % 2 == 0
        assert len(chunk) <= 3000


def test_too_many_blocks_are_truncated_with_a_note():
    reply = Reply(parts=[Text(f"para {i}") for i in range(80)])
    blocks = reply.to_blocks()
    slack_accepts(blocks)
    assert len(blocks) == MAX_BLOCKS
    assert "truncated" in blocks[-1]["elements"][0]["text"]


def test_oversized_header_fields_and_buttons_are_clipped_not_rejected():
    reply = Reply(
        parts=[
            Header("h" * 400),
            Fields(tuple((f"k{i}", "v" * 3000) for i in range(23))),
            Buttons(tuple(Button("b" * 100, f"imagebot.run.{i}", value="x") for i in range(30))),
            Buttons((Button("Launch", "imagebot.confirm", style="danger", confirm=Confirm("Sure?" * 40, "t" * 500)),)),
        ]
    )
    slack_accepts(reply.to_blocks())


def test_terminal_text_is_readable():
    reply = Reply(
        parts=[
            Header("AMI ami-0abc"),
            Text(md("*State:* available, see {}\n```\naws ec2 describe-images\n```", DOCS)),
            Fields((("Region", "us-east-1"), ("Architecture", "x86_64"))),
            Buttons((Button("Share in channel", "imagebot.share"),)),
        ]
    )
    out = render_text(reply)
    assert "State: available, see the docs (https://example.com)" in out
    assert "    aws ec2 describe-images" in out and "```" not in out
    assert "Region        us-east-1" in out
    assert "[Share in channel]" in out


def test_json_carries_text_blocks_and_ephemeral():
    data = Reply.message("hi", job_id="7f3a").to_json()
    assert data["text"] == "hi" and data["ephemeral"] is True and data["job_id"] == "7f3a"
    slack_accepts(data["blocks"])
