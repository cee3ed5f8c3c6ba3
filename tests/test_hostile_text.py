"""Hostile text through every reply path: nothing becomes a live mention, special command or link in Slack,
in blocks or in the fallback `text`, and nothing is escaped twice.

Hostile strings stand where outside text enters: what a user types, AMI names, tags and state reasons,
image tags and commands, job targets and errors, audit entries, button values and the knowledge base.
"""

from __future__ import annotations

import shlex
import time
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot.access.policy import Policy
from bot.aws.copies import COPY, Copy, CopyReport
from bot.aws.images import Image
from bot.core.markup import link
from bot.core.parts import Text
from bot.core.proposal import Proposal
from bot.core.reply import Reply
from bot.core.text import clean, echo
from bot.dispatch import confirm
from bot.dispatch.registry import REGISTRY
from bot.dispatch.run import dispatch
from bot.docker.inspect import LocalImage, RemoteImage
from bot.framework.context import Context
from bot.framework.starting import proposal_reply
from bot.jobs.display import final_reply, status_line
from bot.jobs.record import CANCELED, FAILED, QUEUED, RUNNING, SUCCEEDED, JobRecord
from bot.services import Services
from bot.slack.app import run_action
from bot.slack.notifier import SlackNotifier
from handlers import audit, jobs
from handlers.ami_copies import copies_reply
from handlers.ami_status import matches_parts, status_parts
from handlers.ask import entry_reply
from handlers.docker import local_reply, remote_reply
from knowledge.base import load_entries
from tests.support.hostile import TOKEN, assert_safe, hostile_text, shown

POLICY = Policy.model_validate(
    {
        "roles": {"admin": {"permissions": ["admin"]}},
        "grants": {"users": {"U0USER": ["admin"]}},
        "channels": {"launch": ["C0OPS"]},
    }
)
KB_LINKS = {t for e in load_entries() for s in e.sources if s.url for t in TOKEN.findall(link(s.url, s.title))}
OURS = {"<@U0USER>", "<#C0OPS>", "<#C0CHAN>"} | KB_LINKS  # the bot's own tokens: its user, channels, doc links
FEW = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
MANY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)


def slack(reply: Reply) -> dict:
    """What Slack receives for a reply: the fallback text and the blocks."""
    return {"text": reply.text, "blocks": reply.to_blocks()}


@pytest.fixture
def admin(settings):
    """U0USER with every permission, so each command gets past the access check to its own checks."""
    services = Services(settings, policy=POLICY, notifier=SlackNotifier(settings))
    yield Context(settings, services, user_id="U0USER", channel_id="C0CHAN", transport="slack", registry=REGISTRY)
    services.close()


# ------------------------------------------------------------- typed text


@pytest.mark.parametrize("name", [spec.name for spec in REGISTRY.commands()])
@FEW
@given(text=hostile_text())
def test_every_subcommand_escapes_what_was_typed(admin, name, text):
    for line in (f"/image {name} {shlex.quote(text)}", f"/image {name} x --region {shlex.quote(text)}"):
        reply = dispatch(admin, line)
        assert_safe(slack(reply), OURS)


@MANY
@given(job_id=hostile_text())
@example(job_id="\uf900")  # a compatibility ideograph: NFC turns it into another code point (a CI run found it)
def test_an_echoed_value_is_escaped_exactly_once(admin, job_id):
    reply = dispatch(admin, f"/image job {shlex.quote(job_id)}")
    assert_safe(slack(reply), OURS)
    # decoded once, the person reads what they typed (shortened if long), as the bot reads all input (NFC):
    # a compatibility ideograph such as U+F900 shows as its canonical U+8C48
    assert echo(clean(job_id)) in shown(slack(reply))


@FEW
@given(value=hostile_text())
def test_button_values_are_escaped_in_the_response(admin, value):
    for action_id in ("imagebot.run.0", "imagebot.share"):
        reply, _, _ = run_action(admin, {"action_id": action_id, "value": value}, REGISTRY)
        assert_safe(slack(reply), OURS)


# ---------------------------------------------------------------- AWS data


@MANY
@given(name=hostile_text(), tag=hostile_text(), reason=hostile_text())
def test_ami_names_tags_and_reasons_are_escaped(name, tag, reason):
    data = {
        "ImageId": "ami-0123456789abcdef0",
        "Name": name,
        "State": "failed",
        "StateReason": {"Message": reason},
        "Tags": [{"Key": tag, "Value": tag}],
        "OwnerId": "123456789012",
        "ImageOwnerAlias": name,
        "PlatformDetails": name,
        "BlockDeviceMappings": [{"DeviceName": name, "VirtualName": tag}],
    }
    image = Image("us-east-1", data)
    status = slack(Reply(parts=status_parts(image, None, NOW) + matches_parts([image, image])))
    assert_safe(status)
    assert name in shown(status) and reason in shown(status) and tag in shown(status)
    copy = Image("eu-west-1", {**data, "ImageId": "ami-0fedcba9876543210", "SourceImageId": name})
    report = CopyReport(image, ["us-east-1", "eu-west-1", "ap-east-1"], {"eu-west-1": [Copy(copy, COPY, via=name)]})
    report.errors = {"ap-east-1": reason}
    copies = slack(copies_reply(report, 0.1, NOW))
    assert_safe(copies)
    assert reason in shown(copies)


# -------------------------------------------------------------- Docker data


@MANY
@given(ref=hostile_text(), words=st.lists(hostile_text(), min_size=1, max_size=3))
def test_image_tags_commands_and_platforms_are_escaped(ref, words):
    local = LocalImage(ref, ref, tuple(words), tuple(words), 1, ref, ref, 2, tuple(words), tuple(words), tuple(words))
    remote = RemoteImage(ref, ref, ref, 1, tuple(words))
    for reply in (local_reply(local), remote_reply(remote)):
        assert_safe(slack(reply))
        assert words[0] in shown(slack(reply))


# --------------------------------------------------------------------- jobs


def record(text: str, status: str) -> JobRecord:
    return JobRecord(
        id="7f3a",
        kind=text,
        args={},
        target=text,
        user_id="U0USER",
        status=status,
        stage=text,
        summary=text,
        error=text,
        result_fields=[[text, text]],
        created_at=time.time(),
        ended_at=time.time(),
    )


@MANY
@given(text=hostile_text(), status=st.sampled_from([QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELED]))
def test_job_targets_stages_and_errors_are_escaped(text, status):
    job = record(text, status)
    replies = [
        jobs.job_reply(job),
        final_reply(job),
        Reply.message(status_line(job)),
        Reply(parts=[Text(jobs._row(job, time.time(), show_user=True))]),
    ]
    for reply in replies:
        assert_safe(slack(reply), OURS)
        assert text in shown(slack(reply))


@FEW
@given(text=hostile_text(), status=st.sampled_from([SUCCEEDED, FAILED, CANCELED]))
def test_the_job_notifiers_posts_and_updates_are_escaped(settings, services, slack_api, text, status):
    slack_api.reset()
    notifier = SlackNotifier(settings)
    job = record(text, RUNNING)
    job.channel = "C0CHAN"
    services.jobs.create(job)
    job.message_ts = job.thread_ts = notifier.started(job) or ""
    services.jobs.set_fields(job.id, message_ts=job.message_ts, thread_ts=job.thread_ts)
    notifier.progressed(services.jobs, job)
    job.status = status
    notifier.finished(services.jobs, job)
    bodies = [c.body for c in slack_api.calls if c.method in ("chat.postMessage", "chat.update")]
    assert len(bodies) >= 4
    for body in bodies:
        assert_safe(body, OURS)


# -------------------------------------------------------- audit, confirmation


@MANY
@given(text=hostile_text(), transport=st.sampled_from(["slack", "shell", "<!here>"]), job=hostile_text())
def test_audit_entries_are_escaped(text, transport, job):
    entry = {"ts": "1", "user": "U0USER", "channel": "C0OPS", "transport": transport, "text": text,
             "decision": text, "outcome": text, "job_id": job}  # fmt: skip
    reply = slack(Reply(parts=[Text(audit._line(entry, time.time()))]))
    assert_safe(reply, OURS)
    assert text[:120] in shown(reply)


@FEW
@given(text=hostile_text())
def test_a_confirmation_offer_is_escaped(admin, text):
    proposal = Proposal(kind="check", args={}, target=text, title=text, summary=((text, text),), warning=text)
    offered = confirm.offer(admin, proposal_reply(proposal), text)
    assert_safe(slack(offered), OURS)
    assert text in shown(slack(offered))


# ----------------------------------------------------------- knowledge base


def test_knowledge_base_answers_hold_no_live_markup_but_their_source_links(admin):
    for entry in load_entries():
        reply = slack(entry_reply(entry, admin, shared=True))
        assert_safe(reply, OURS)
        assert "&" not in entry.answer or "&amp;" in str(reply)  # a bare & in an answer reaches Slack escaped
