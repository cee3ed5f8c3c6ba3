"""Policy decisions, guardrails, quota and audit, against a real Redis."""

import pytest
import redis

from bot.access.audit import Audit, AuditEntry
from bot.access.decisions import Access, PermissionDenied
from bot.access.guardrails import check_copy, check_launch, check_pull, consume_launch, launches_left, required_tags
from bot.access.policy import load_policy
from bot.core.errors import CommandError, ConfigError
from bot.core.permissions import Permission
from bot.framework.context import Context

POLICY = """
contact: "#platform-help"
roles:
  operator: {permissions: [pull, copy]}
  launcher: {permissions: [launch]}
  admin: {permissions: [admin]}
grants:
  users:
    U0OPS: [operator]
    U0LAUNCH: [launcher]
    U0ADMIN: [admin]
  usergroups:
    S0PLATFORM: [launcher]
  channels:
    C0PULLS: [operator]
channels:
  launch: [C0OPS]
guardrails:
  launch:
    instance_types: ["t3.*", "t4g.micro"]
    regions: [us-east-1, eu-west-1]
    max_per_user_per_day: 2
    required_tags: {team: platform}
  pull:
    images: ["docker.io/library/*", "127.0.0.1:*/imagebot-test/*"]
  copy:
    regions: [eu-*]
"""


@pytest.fixture
def policy_text():
    """The policy `policy_file` (tests/conftest.py) writes for this module."""
    return POLICY


@pytest.fixture
def policy(policy_file):
    return load_policy(policy_file)


def test_everyone_reads_and_actions_are_denied_until_granted(policy):
    access = Access(policy)
    assert access.permissions("U0NOBODY", "C0ANY") == {"read"}
    reason = access.denial("U0NOBODY", "C0OPS", "launch")
    assert "You need the `launch` permission" in reason and "#platform-help" in reason


def test_user_group_and_channel_grants(policy):
    access = Access(policy, groups_of=lambda user: frozenset({"S0PLATFORM"}) if user == "U0GROUPIE" else frozenset())
    assert "launch" in access.permissions("U0GROUPIE", "C0X")
    assert "pull" in access.permissions("U0NOBODY", "C0PULLS")
    assert "pull" not in access.permissions("U0NOBODY", "C0ELSEWHERE")


def test_permission_in_a_disallowed_channel_is_refused(policy):
    access = Access(policy)
    assert access.denial("U0LAUNCH", "C0OPS", "launch") is None
    reason = access.denial("U0LAUNCH", "C0RANDOM", "launch")
    assert "only allowed in <#C0OPS>" in reason


def test_admin_holds_every_permission(policy):
    assert Access(policy).permissions("U0ADMIN", "C0OPS") == {"read", "pull", "launch", "copy", "manage", "admin"}


def test_check_raises_the_user_facing_error(policy, settings, services):
    ctx = Context(settings, services, user_id="U0NOBODY", channel_id="C0OPS")
    with pytest.raises(PermissionDenied):
        Access(policy).check(ctx.user_id, ctx.channel_id, Permission.COPY)
    assert issubclass(PermissionDenied, CommandError)


@pytest.mark.parametrize(
    "content, expected",
    [
        ("roles: [", "is not valid YAML"),
        ("- just a list", "must be a YAML mapping"),
        ("roles: {ops: {permissions: [fly]}}", "roles.ops.permissions.0"),
        ("grants: {users: {U0A: [ghost]}}", "unknown role(s) ['ghost']"),
        ("grants: {users: {alice: []}}", "is not a Slack id"),
        ("rolez: {}", "rolez"),
    ],
)
def test_an_invalid_policy_stops_start_up_with_a_clear_error(tmp_path, content, expected):
    path = tmp_path / "bad.yml"
    path.write_text(content)
    with pytest.raises(ConfigError) as err:
        load_policy(str(path))
    assert str(err.value).startswith("IMAGEBOT_POLICY_FILE:") and expected in str(err.value)


def test_a_policy_file_that_is_not_utf8_stops_start_up_in_one_line(tmp_path):
    path = tmp_path / "policy.yml"
    path.write_bytes("contact: 'équipe plateforme'".encode("latin-1"))
    with pytest.raises(ConfigError) as err:
        load_policy(str(path))
    assert str(err.value) == f"IMAGEBOT_POLICY_FILE: {path} is not UTF-8 text (byte 10 is not)."


def test_a_missing_policy_file_fails_closed(tmp_path):
    with pytest.raises(ConfigError) as err:
        load_policy(str(tmp_path / "nope.yml"))
    assert "does not exist" in str(err.value)


def test_no_policy_configured_means_read_only(tmp_path):
    assert Access(load_policy(None)).permissions("U0ANY", "C0ANY") == {"read"}


@pytest.mark.parametrize(
    "call, message",
    [
        (
            lambda p: check_launch(p, "m5.24xlarge", "us-east-1"),
            "`m5.24xlarge` is not allowed. Allowed: `t3.*`",
        ),
        (lambda p: check_launch(p, "t3.micro", "ap-south-1"), "Launching in `ap-south-1` is not allowed"),
        (
            lambda p: check_copy(p, "us-west-2"),
            "Allowed destination regions: `eu-*`",
        ),
        (lambda p: check_pull(p, "ghcr.io/evil/miner:latest"), "Pulling `ghcr.io/evil/miner:latest` is not allowed"),
    ],
)
def test_guardrails_name_the_limit(policy, call, message):
    with pytest.raises(CommandError) as err:
        call(policy)
    assert message in err.value.message


def test_guardrails_allow_what_the_policy_lists(policy):
    check_launch(policy, "t3.large", "eu-west-1")
    check_copy(policy, "eu-central-1")
    check_pull(policy, "docker.io/library/nginx:1.27")
    check_pull(policy, "127.0.0.1:5000/imagebot-test/multi:1.0")


def test_required_tags_carry_requester_and_job(policy):
    assert required_tags(policy, "U0LAUNCH", "7f3a") == {
        "team": "platform",
        "imagebot:requested-by": "U0LAUNCH",
        "imagebot:job": "7f3a",
    }


def test_daily_launch_quota_is_counted_in_redis(policy, redis_url):
    client = redis.Redis.from_url(redis_url)
    assert launches_left(client, policy, "U0LAUNCH") == 2
    consume_launch(client, policy, "U0LAUNCH")
    consume_launch(client, policy, "U0LAUNCH")
    with pytest.raises(CommandError) as err:
        consume_launch(client, policy, "U0LAUNCH")
    assert "limit of 2 launches per day" in err.value.message
    assert launches_left(client, policy, "U0LAUNCH") == 0
    assert launches_left(client, policy, "U0OTHER") == 2


def test_audit_entries_are_written_listed_and_scrubbed(settings, services):
    audit = Audit(lambda: services.redis, scrub=lambda text: text.replace("xoxb-secret", "[redacted]"))
    services.audit = audit
    for user in ("U0A", "U0B", "U0A"):
        ctx = Context(settings, services, user_id=user, channel_id="C0OPS", transport="slack")
        ctx.audit("/image ask xoxb-secret", "ask", "allowed", "ok")
    entries = audit.entries(user_id="U0A", limit=10)
    assert len(entries) == 2 and all(e["user"] == "U0A" for e in entries)
    assert entries[0]["text"] == "/image ask [redacted]"
    assert len(audit.entries(limit=2)) == 2


def test_audit_survives_redis_being_down(settings, services, caplog):
    down = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2)
    audit = Audit(lambda: down, scrub=str)
    audit.record(AuditEntry("local", "local", "shell", "help", "help", "allowed", "ok"))
    assert any("audit entry not stored" in r.getMessage() for r in caplog.records)
