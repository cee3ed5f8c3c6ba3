"""Access control and confirmation through the real pipeline: Slack, shell and `imagebot run`."""

import io
import json
import logging

import pytest

import tests.support.jobkinds  # noqa: F401  (registers the test.steps job kind)
from bot.access.policy import load_policy
from bot.core.command import Command
from bot.core.logs import configure_logging
from bot.core.permissions import Permission
from bot.core.proposal import Proposal
from bot.dispatch import confirm
from bot.dispatch.registry import REGISTRY
from bot.dispatch.run import dispatch
from bot.framework.context import Context
from bot.framework.starting import proposal_reply
from bot.framework.subcommand import Registry, subcommand
from bot.services import Services
from bot.shell import repl
from bot.slack.app import build_app
from bot.slack.notifier import SlackNotifier
from handlers.audit import show_audit
from handlers.help import show_help
from tests.support.signing import action_body, send, slash_command_body

POLICY = """
contact: "#platform-help"
roles:
  builder: {permissions: [launch]}
  admin: {permissions: [admin]}
grants:
  users: {U0BUILDER: [builder], U0ADMIN: [admin]}
channels:
  launch: [C0OPS]
"""


@subcommand(
    "build",
    example="/image build web",
    forms=("<name>",),
    permission=Permission.LAUNCH,
)
def build(ctx: Context, cmd: Command):
    """Build something costly (test-only)."""
    return proposal_reply(
        Proposal(
            kind="test.steps",
            args={"steps": 1, "sleep": 0.0, "name": cmd.args[0]},
            target=f"building {cmd.args[0]}",
            title=f"Build {cmd.args[0]}?",
            summary=(("Name", cmd.args[0]),),
            permission=Permission.LAUNCH,
        )
    )


TEST_REGISTRY = Registry([show_help, build, show_audit])


@pytest.fixture
def policy_services(settings, tmp_path):
    path = tmp_path / "policy.yml"
    path.write_text(POLICY)
    return Services(settings, policy=load_policy(str(path)), notifier=SlackNotifier(settings))


def as_user(settings, services, user, channel="C0OPS", transport="slack"):
    return Context(settings, services, user_id=user, channel_id=channel, transport=transport, registry=TEST_REGISTRY)


@pytest.fixture
def app(settings, policy_services):
    return build_app(settings, policy_services, TEST_REGISTRY)


def buttons(blocks):
    return {e["action_id"]: e for b in blocks if b["type"] == "actions" for e in b["elements"]}


def test_a_user_without_the_permission_is_refused_and_audited(settings, policy_services):
    reply = dispatch(as_user(settings, policy_services, "U0NOBODY"), "/image build web")
    assert not reply.ok and "You need the `launch` permission" in reply.text and "#platform-help" in reply.text
    entry = policy_services.audit.entries(limit=1)[0]
    assert (entry["user"], entry["command"], entry["decision"]) == ("U0NOBODY", "build", "denied")


def test_the_permission_in_a_disallowed_channel_is_refused(settings, policy_services):
    reply = dispatch(as_user(settings, policy_services, "U0BUILDER", channel="C0RANDOM"), "/image build web")
    assert not reply.ok and "only allowed in <#C0OPS>" in reply.text


def test_help_shows_only_what_the_caller_may_run(settings, policy_services):
    nobody = dispatch(as_user(settings, policy_services, "U0NOBODY"), "/image help").text
    builder = dispatch(as_user(settings, policy_services, "U0BUILDER"), "/image help").text
    assert "/image build" not in nobody and "/image audit" not in nobody
    assert "/image build" in builder and "/image audit" not in builder


def test_slack_confirmation_flow(app, settings, policy_services, slack_api):
    resp = send(app, slash_command_body("build web", slack_api.response_url("cmd"), user="U0BUILDER", channel="C0OPS"))
    body = json.loads(resp.body)
    found = buttons(body["blocks"])
    assert found["imagebot.confirm"]["style"] == "danger"
    assert found["imagebot.confirm"]["confirm"]["style"] == "danger"
    assert "imagebot.cancel" in found and "Only <@U0BUILDER> can confirm" in body["text"]
    cid = found["imagebot.confirm"]["value"]

    send(app, action_body("imagebot.confirm", cid, slack_api.response_url("other"), user="U0ADMIN", channel="C0OPS"))
    refused = slack_api.wait_for("response_url")[0]
    assert "Only <@U0BUILDER> can confirm" in refused.body["text"] and refused.body["replace_original"] is False

    send(app, action_body("imagebot.confirm", cid, slack_api.response_url("mine"), user="U0BUILDER", channel="C0OPS"))
    done = slack_api.wait_for("response_url", count=2)[1]
    assert done.body["replace_original"] is True and "Started job `" in done.body["text"]
    assert "imagebot.confirm" not in buttons(done.body["blocks"])
    assert slack_api.wait_for("chat.postMessage")[0].body["channel"] == "C0OPS"  # the job's progress message

    send(app, action_body("imagebot.confirm", cid, slack_api.response_url("again"), user="U0BUILDER", channel="C0OPS"))
    again = slack_api.wait_for("response_url", count=3)[2]
    assert "already used" in again.body["text"] and again.body["replace_original"] is False


def test_cancel_replaces_the_buttons_and_starts_nothing(settings, policy_services):
    ctx = as_user(settings, policy_services, "U0BUILDER")
    offered = confirm.offer(ctx, dispatch(ctx, "/image build web"), "/image build web")
    reply, replace = confirm.resolve(ctx, offered.data["confirmation"], accepted=False)
    assert replace and "Canceled by <@U0BUILDER>" in reply.text and reply.job_id is None


def test_an_expired_confirmation_is_refused(settings, policy_services):
    ctx = as_user(settings, policy_services, "U0BUILDER")
    cid = confirm.offer(ctx, dispatch(ctx, "/image build web"), "/image build web").data["confirmation"]
    key = confirm.KEY.format(cid)
    pending = json.loads(policy_services.redis.get(key))
    pending["created"] -= confirm.TTL_SECONDS + 1
    policy_services.redis.set(key, json.dumps(pending))
    reply, _ = confirm.resolve(ctx, cid, accepted=True)
    assert not reply.ok and "expired (after 10 minutes)" in reply.text and "/image build web" in reply.text
    assert reply.job_id is None


def test_shell_asks_yes_or_no(settings, policy_services, start_worker):
    start_worker()
    ctx = as_user(settings, policy_services, "U0BUILDER", transport="shell")
    answers = iter(["build web", "n", "build api", "y", "exit"])
    out = io.StringIO()
    repl(ctx, read=lambda prompt: next(answers), out=out)
    text = out.getvalue()
    assert "Canceled: nothing was started." in text
    assert "Started job `" in text


@pytest.mark.parametrize("key", [EOFError, KeyboardInterrupt], ids=["ctrl-d", "ctrl-c"])
def test_ctrl_d_or_ctrl_c_at_the_confirmation_cancels_and_the_shell_goes_on(settings, policy_services, key):
    ctx = as_user(settings, policy_services, "U0BUILDER", transport="shell")
    answers = iter(["build web", key, "help", "exit"])

    def read(prompt):
        answer = next(answers)
        if isinstance(answer, type):
            raise answer
        return answer

    out = io.StringIO()
    assert repl(ctx, read=read, out=out) == 0
    text = out.getvalue()
    assert "Canceled: nothing was started." in text and "Started job" not in text
    assert "List every subcommand" in text  # the next command after the cancel ran
    assert not policy_services.jobs.recent(None, limit=5)


def test_run_refuses_a_costly_action_without_yes(settings, policy_services):
    ctx = as_user(settings, policy_services, "U0BUILDER", transport="shell")
    refused = confirm.refuse(dispatch(ctx, "/image build web"), "/image build web")
    assert not refused.ok and "--yes" in refused.text
    started = confirm.accept_now(ctx, dispatch(ctx, "/image build web"))
    assert started.ok and started.job_id


def test_admins_read_the_audit_log_and_others_cannot(settings, policy_services):
    dispatch(as_user(settings, policy_services, "U0NOBODY"), "/image build web")
    admin = dispatch(as_user(settings, policy_services, "U0ADMIN"), "/image audit --user U0NOBODY")
    assert admin.ok and "build web" in admin.text and "denied" in admin.text
    assert (
        "You need the `admin` permission"
        in dispatch(as_user(settings, policy_services, "U0NOBODY"), "/image audit").text
    )


def test_admin_may_cancel_someone_elses_job(settings, policy_services):
    builder = as_user(settings, policy_services, "U0BUILDER")
    job_id = confirm.accept_now(builder, dispatch(builder, "/image build web")).job_id
    reply = dispatch(
        Context(settings, policy_services, user_id="U0ADMIN", channel_id="C0OPS", transport="slack", registry=REGISTRY),
        f"/image job cancel {job_id}",
    )
    assert reply.ok, reply.text


def test_no_configured_secret_reaches_the_logs(settings, policy_services, app, slack_api):
    stream = io.StringIO()
    configure_logging("DEBUG", settings.secrets(), stream=stream)
    try:
        token = settings.slack_bot_token.get_secret_value()
        secret = settings.slack_signing_secret.get_secret_value()
        ctx = as_user(settings, policy_services, "U0NOBODY")
        dispatch(ctx, f"/image build {token}")
        dispatch(ctx, f'/image help "{secret}"')
        logging.getLogger("test").error("oops %s", token)
        send(app, slash_command_body(f"build {token}", slack_api.response_url(), user="U0BUILDER"))
        send(app, action_body("imagebot.confirm", "nope", slack_api.response_url(), user="U0BUILDER"))
        entries = policy_services.audit.entries(limit=50)
    finally:
        logging.getLogger().handlers.clear()
    logs = stream.getvalue()
    assert "audit" in logs
    for value in settings.secrets():
        assert value not in logs
        assert all(value not in json.dumps(e) for e in entries)


def test_a_slack_user_group_grant_comes_from_slack(settings, tmp_path, slack_api):
    """Group membership is read from Slack's usergroups.list (the stand-in), once, then cached."""
    path = tmp_path / "groups.yml"
    path.write_text("roles: {builder: {permissions: [launch]}}\ngrants: {usergroups: {S0PLATFORM: [builder]}}\n")
    services = Services(settings, policy=load_policy(str(path)))
    slack_api.answer("usergroups.list", {"ok": True, "usergroups": [{"id": "S0PLATFORM", "users": ["U0GROUPIE"]}]})
    app = build_app(settings, services, TEST_REGISTRY)
    member = json.loads(send(app, slash_command_body("help", slack_api.response_url(), user="U0GROUPIE")).body)
    other = json.loads(send(app, slash_command_body("help", slack_api.response_url(), user="U0NOBODY")).body)
    assert "/image build" in member["text"] and "/image build" not in other["text"]
    assert len(slack_api.calls_to("usergroups.list")) == 1
