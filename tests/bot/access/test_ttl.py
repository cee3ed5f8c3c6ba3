"""Launch ttl rules in the policy: durations, a default and a maximum per role, `0` only where allowed."""

import pytest

from bot.access.decisions import Access
from bot.access.guardrails import check_ttl, ttl_rules
from bot.access.policy import DEFAULT_POLICY, load_policy
from bot.core.durations import duration_seconds, duration_text, parse_duration
from bot.core.errors import CommandError, ConfigError

POLICY = """
roles:
  launcher: {permissions: [launch]}
  long: {permissions: [launch], ttl: {default: 1d, max: 3d}}
  forever: {permissions: [launch], ttl: {default: 8h, max: 0}}
grants:
  users: {U0LAUNCH: [launcher], U0LONG: [launcher, long], U0BOTH: [long, forever]}
  usergroups: {S0FOREVER: [forever]}
guardrails:
  launch:
    ttl: {default: 2h, max: 12h}
"""


@pytest.fixture
def policy(tmp_path):
    path = tmp_path / "policy.yml"
    path.write_text(POLICY)
    return load_policy(str(path))


@pytest.mark.parametrize(
    ("text", "seconds"), [("8h", 28800), ("90m", 5400), ("2d", 172800), ("1d12h", 129600), ("0", 0), (" 8H ", 28800)]
)
def test_durations_people_type(text, seconds):
    assert duration_seconds(text) == seconds
    assert duration_seconds(duration_text(seconds)) == seconds


@pytest.mark.parametrize("text", ["8", "h", "", "-1h", "8 hours", "1.5h", "8h30", "m8"])
def test_a_bad_duration_says_what_to_type(text):
    assert duration_seconds(text) is None
    with pytest.raises(CommandError, match=r"is not a duration.*--ttl 8h"):
        parse_duration(text)


def test_the_most_generous_role_wins_and_the_launch_guardrail_is_the_fallback(policy):
    access = Access(policy, groups_of=lambda user: frozenset({"S0FOREVER"}) if user == "U0GROUP" else frozenset())
    rules = {
        user: ttl_rules(policy, access.roles(user, "C0ANY")) for user in ("U0LAUNCH", "U0LONG", "U0BOTH", "U0GROUP")
    }
    assert (rules["U0LAUNCH"].default, rules["U0LAUNCH"].max) == (2 * 3600, 12 * 3600)
    assert (rules["U0LONG"].default, rules["U0LONG"].max) == (86400, 3 * 86400)
    assert rules["U0BOTH"].max == 0 and rules["U0GROUP"].max == 0
    assert DEFAULT_POLICY.guardrails.launch.ttl.default == 8 * 3600  # without a policy entry: 8h, at most 7d


def test_check_ttl_defaults_and_refuses_over_the_maximum_and_no_expiry(policy):
    plain = policy.guardrails.launch.ttl
    assert check_ttl(plain, None) == 2 * 3600 and check_ttl(plain, 3600) == 3600
    with pytest.raises(CommandError, match=r"`--ttl 1d` is longer than you may launch for: at most `--ttl 12h`"):
        check_ttl(plain, 86400)
    with pytest.raises(CommandError, match=r"no expiry \(`--ttl 0`\) is not allowed for you"):
        check_ttl(plain, 0)
    forever = policy.roles["forever"].ttl
    assert check_ttl(forever, 0) == 0 and check_ttl(forever, 365 * 86400) == 365 * 86400


@pytest.mark.parametrize(
    ("ttl", "message"),
    [("{default: soon}", "is not a duration"), ("{default: 2d, max: 1d}", "at most max"), ("{ttll: 1h}", "ttll")],
)
def test_a_bad_ttl_rule_stops_the_bot_at_start(tmp_path, ttl, message):
    path = tmp_path / "policy.yml"
    path.write_text(f"guardrails:\n  launch:\n    ttl: {ttl}\n")
    with pytest.raises(ConfigError, match=message):
        load_policy(str(path))


def test_the_expiry_action_is_set_once_for_the_whole_policy(tmp_path):
    from bot.access.guardrails import expiry_action

    assert expiry_action(DEFAULT_POLICY) == "stop"
    path = tmp_path / "policy.yml"
    path.write_text("guardrails: {launch: {ttl: {on_expiry: terminate}}, ami: {max_age: 180d}}")
    policy = load_policy(str(path))
    assert expiry_action(policy) == "terminate" and policy.guardrails.ami.max_age == 180 * 86400
    for text, error in (
        ("guardrails: {launch: {ttl: {on_expiry: delete}}}", "guardrails.launch.ttl.on_expiry"),
        ("roles: {r: {permissions: [launch], ttl: {on_expiry: stop}}}", "on_expiry is set once"),
    ):
        path.write_text(text)
        with pytest.raises(ConfigError, match=error):
            load_policy(str(path))


def test_extending_counts_the_maximum_from_launch_and_max_0_has_none():
    from datetime import UTC, datetime, timedelta

    from bot.access.guardrails import check_extend
    from bot.access.policy import TtlRules

    launched = datetime(2026, 12, 1, 8, tzinfo=UTC)
    hour = timedelta(hours=1)
    rules = TtlRules(default="8h", max="20h")
    now, expires = launched + 7 * hour, launched + 8 * hour
    assert check_extend(rules, launched, expires, 8 * 3600, now) == launched + 16 * hour
    with pytest.raises(CommandError, match=r"At most `--by 4h`"):
        check_extend(rules, launched, launched + 16 * hour, 8 * 3600, now)
    with pytest.raises(CommandError, match="already runs as long as you may keep it"):
        check_extend(rules, launched, launched + 20 * hour, 3600, now)
    late = launched + 30 * hour  # expired long ago: extended from now
    assert check_extend(TtlRules(default="1h", max="0"), launched, expires, 3600, late) == late + hour
