"""The curation loop through Slack: 👍/👎 on answers, "did you mean" choices, and `/image kb gaps` for admins."""

import io
import json

import pytest
import redis

from bot.access.policy import load_policy
from bot.dispatch.run import dispatch
from bot.framework.context import Context
from bot.services import Services
from bot.shell import repl
from bot.slack.app import build_app
from bot.slack.notifier import SlackNotifier
from knowledge.answers import find_answer
from knowledge.feedback import GAPS, GAPS_MAX, KEEP_SECONDS
from tests.support.signing import action_body, send, slash_command_body

POLICY = """
roles:
  admin: {permissions: [admin]}
grants:
  users: {U0ADMIN: [admin]}
"""
# Questions worded to sit between two or three entries; the test uses the first that gets a "did you mean".
BETWEEN = [  # short questions that sit between entries; the first one that still gets choices is used
    "golden image docker",
    "ami containers host",
    "container image region",
    "ami snapshot docker layers",
    "image copy share region",
    "docker ami boot",
    "container ec2 ami",
]


@pytest.fixture
def policy_services(settings, tmp_path):
    path = tmp_path / "policy.yml"
    path.write_text(POLICY)
    services = Services(settings, policy=load_policy(str(path)), notifier=SlackNotifier(settings))
    yield services
    services.close()


@pytest.fixture
def slack(settings, policy_services):
    return build_app(settings, policy_services)


def as_user(settings, services, user):
    return Context(settings, services, user_id=user, channel_id="C0CHAN", transport="slack")


def buttons(blocks):
    return [e for b in blocks if b["type"] == "actions" for e in b["elements"]]


def click(app, slack_api, button, user="U0USER"):
    """Press a button and return the answer to this press (the answer comes through response_url, later)."""
    before = len(slack_api.calls_to("response_url"))
    send(app, action_body(button["action_id"], button["value"], slack_api.response_url(user), user=user))
    return slack_api.wait_for("response_url", count=before + 1)[before].body


def ambiguous_question():
    for question in BETWEEN:
        if find_answer(question).choices:
            return question
    pytest.fail(f"none of {BETWEEN} gets a 'did you mean' any more: add a question that sits between entries")


def test_every_answer_has_vote_buttons_and_one_vote_counts_per_user(slack, slack_api, policy_services):
    resp = send(slack, slash_command_body("ask how do I delete an AMI and its snapshots", slack_api.response_url()))
    body = json.loads(resp.body)
    votes = {b["action_id"]: b for b in buttons(body["blocks"]) if "vote" in b["action_id"]}
    assert set(votes) == {"imagebot.run.vote-up", "imagebot.run.vote-down"}
    assert [b["text"]["text"] for b in votes.values()] == ["👍 Helpful", "👎 Not helpful"]

    assert "Thanks" in click(slack, slack_api, votes["imagebot.run.vote-up"])["text"]
    assert "already voted" in click(slack, slack_api, votes["imagebot.run.vote-up"])["text"]
    click(slack, slack_api, votes["imagebot.run.vote-down"], user="U0OTHER")
    tally = policy_services.feedback.votes("deregister-ami")
    assert (tally.up, tally.down) == (1, 1)

    click(slack, slack_api, votes["imagebot.run.vote-down"])  # changing your mind replaces your vote
    tally = policy_services.feedback.votes("deregister-ami")
    assert (tally.up, tally.down) == (0, 2)


def test_a_down_vote_keeps_the_question_for_the_curators(slack, slack_api, settings, policy_services):
    resp = send(slack, slash_command_body("ask how do I delete an AMI and its snapshots", slack_api.response_url()))
    down = next(b for b in buttons(json.loads(resp.body)["blocks"]) if b["action_id"] == "imagebot.run.vote-down")
    click(slack, slack_api, down)
    gaps = dispatch(as_user(settings, policy_services, "U0ADMIN"), "/image kb gaps --json").data
    assert [(g["question"], g["kind"], g["candidates"]) for g in gaps["gaps"]] == [
        ("how do I delete an AMI and its snapshots", "down-vote", ("deregister-ami",))
    ]
    assert [(v["entry_id"], v["down"]) for v in gaps["down_voted"]] == [("deregister-ami", 1)]


def test_did_you_mean_offers_buttons_and_a_click_opens_the_entry(slack, slack_api, settings, policy_services):
    question = ambiguous_question()
    resp = send(slack, slash_command_body(f"ask {question}", slack_api.response_url()))
    body = json.loads(resp.body)
    assert "Did you mean" in body["text"]
    choices = [b for b in buttons(body["blocks"]) if b["action_id"].startswith("imagebot.run.choice-")]
    assert 1 <= len(choices) <= 3
    assert not [b for b in buttons(body["blocks"]) if "vote" in b["action_id"]]  # no answer yet: nothing to vote on

    opened = click(slack, slack_api, choices[0])
    entry_id = find_answer(question).choices[0].entry.id
    assert opened["response_type"] == "ephemeral"
    assert find_answer(question).choices[0].entry.title in opened["text"]

    data = dispatch(as_user(settings, policy_services, "U0ADMIN"), "/image kb gaps --json").data
    assert [(g["question"], g["kind"]) for g in data["gaps"]] == [(question, "did you mean")]
    assert [(p["question"], p["candidates"]) for p in data["picked"]] == [(question, (entry_id,))]


def test_kb_gaps_lists_the_most_asked_unanswered_questions_for_admins_only(settings, policy_services):
    user = as_user(settings, policy_services, "U0USER")
    for question in ("How do I rotate IAM access keys?", "how do i rotate iam access keys", "capital of France"):
        assert dispatch(user, f"/image ask {question}").data["matched"] is False

    refused = dispatch(user, "/image kb gaps")
    assert not refused.ok and "You need the `admin` permission" in refused.text

    admin = as_user(settings, policy_services, "U0ADMIN")
    reply = dispatch(admin, "/image kb gaps")
    assert reply.ok
    first, second = reply.data["gaps"]
    assert (first["question"], first["times"]) == ("how do i rotate iam access keys", 2)  # the latest wording
    assert (second["question"], second["times"]) == ("capital of France", 1)
    assert "*2×* how do i rotate iam access keys" in reply.text
    exported = dispatch(admin, "/image kb gaps --json --limit 1")
    assert [g["question"] for g in exported.data["gaps"]] == ["how do i rotate iam access keys"]


def test_the_gap_log_is_capped_expires_and_keeps_no_tokens(settings, policy_services):
    user = as_user(settings, policy_services, "U0USER")
    dispatch(user, "/image ask why does xoxb-1234567890-abcdefghijkl fail to pull from quay")
    client = redis.Redis.from_url(settings.redis_url)
    ((_id, fields),) = client.xrange(GAPS)
    stored = {k.decode(): v.decode() for k, v in fields.items()}
    assert "xoxb-1234567890" not in stored["question"] and "pull from quay" in stored["question"]
    assert stored["user"] == "U0USER" and json.loads(stored["candidates"])
    assert 0 < client.ttl(GAPS) <= KEEP_SECONDS
    for n in range(GAPS_MAX + 300):
        policy_services.feedback.record_gap(f"q{n}", "no match", [], "U0USER")
    assert client.xlen(GAPS) < GAPS_MAX + 300


def test_answers_stay_up_when_redis_is_down(settings, policy_services, monkeypatch):
    def refuse(*_args, **_kwargs):
        raise redis.ConnectionError("connection refused")

    monkeypatch.setattr(policy_services.feedback.__class__, "record_gap", refuse)
    reply = dispatch(as_user(settings, policy_services, "U0USER"), "/image ask capital of France")
    assert reply.ok and "I don't have a confident answer" in reply.text


def test_shell_takes_the_number_of_a_choice(ctx):
    question = ambiguous_question()
    lines = iter([f"ask {question}", "1", "exit"])
    out = io.StringIO()
    repl(ctx, read=lambda _prompt: next(lines), out=out)
    text = out.getvalue()
    assert "  1. " in text and "Did you mean" in text
    assert find_answer(question).choices[0].entry.title in text.split("  1. ", 1)[1].split("\n", 1)[1]
    first = find_answer(question).choices[0].entry.id  # the choice shows the command to type, minus the question
    assert f"(/image ask --id {first} --asked …)" in text


@pytest.mark.parametrize(
    "question",
    [
        "AMI和Docker镜像到底有什么区别？",
        "como faço para copiar uma ami para outra região?",
        "wie kann ich eine AMI teilen?",
    ],
)
def test_a_question_not_in_english_gets_a_short_english_reply(ctx, question):
    reply = dispatch(ctx, f"/image ask {question}")
    assert reply.ok and reply.text.startswith("I answer questions in English only")
    assert "/image ask what is an AMI?" in reply.text


def test_shell_snippets_with_ampersands_stay_readable_in_slack(ctx):
    reply = dispatch(ctx, "/image ask --id restart-containers-on-boot")
    sections = json.dumps(reply.to_blocks())
    assert "daemon-reload &amp;&amp; sudo systemctl enable" in sections  # Slack shows &amp; as &
    assert "&amp;amp;" not in sections
