"""Slack user groups for group grants: read from usergroups.list, cached, and failing closed."""

import logging

from slack_sdk import WebClient

from bot.access.decisions import Access
from bot.access.policy import Policy
from bot.core.permissions import Permission
from bot.slack.groups import SlackGroups
from tests.conftest import BOT_TOKEN, free_port

POLICY = Policy.model_validate(
    {"roles": {"builder": {"permissions": ["launch"]}}, "grants": {"usergroups": {"S0PLATFORM": ["builder"]}}}
)
GROUPS = {"ok": True, "usergroups": [{"id": "S0PLATFORM", "users": ["U0GROUPIE"]}]}


class Clock:
    def __init__(self) -> None:
        self.now = 1.0  # a machine just booted: monotonic time is small

    def __call__(self) -> float:
        return self.now


def test_groups_are_read_once_then_cached_until_the_ttl(slack_api):
    slack_api.answer("usergroups.list", GROUPS)
    clock = Clock()
    groups = SlackGroups(WebClient(token=BOT_TOKEN, base_url=slack_api.url), ttl=300, clock=clock)
    assert groups("U0GROUPIE") == {"S0PLATFORM"} and groups("U0OTHER") == frozenset()
    clock.now += 299
    groups("U0GROUPIE")
    assert len(slack_api.calls_to("usergroups.list")) == 1
    clock.now += 2
    groups("U0GROUPIE")
    assert len(slack_api.calls_to("usergroups.list")) == 2


def test_a_network_error_means_no_group_grants_and_a_log_line_not_a_failed_command(slack_api, caplog):
    slack_api.answer("usergroups.list", GROUPS)
    clock = Clock()
    client = WebClient(token=BOT_TOKEN, base_url=slack_api.url)
    groups = SlackGroups(client, ttl=300, clock=clock)
    access = Access(POLICY, groups_of=groups)
    assert access.denial("U0GROUPIE", "C0ANY", Permission.LAUNCH) is None  # granted through the group
    client.base_url = f"http://127.0.0.1:{free_port()}/api/"  # Slack is unreachable from now on
    clock.now += 301
    with caplog.at_level(logging.WARNING):
        refusal = access.denial("U0GROUPIE", "C0ANY", Permission.LAUNCH)
    assert refusal and "You need the `launch` permission" in refusal  # fails closed, and answers
    assert any("cannot read Slack user groups" in r.getMessage() for r in caplog.records)
