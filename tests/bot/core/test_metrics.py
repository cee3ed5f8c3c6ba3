"""The metrics count what they name: AWS errors by code, Slack API failures and 429s."""

from botocore.exceptions import ClientError
from prometheus_client import REGISTRY
from slack_sdk import WebClient

from bot.aws.errors import explain
from bot.jobs.record import JobRecord
from bot.slack.client import web_client
from bot.slack.notifier import SlackNotifier
from tests.conftest import BOT_TOKEN, free_port


def value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_aws_errors_are_counted_by_code():
    before = value("imagebot_aws_errors_total", code="RequestLimitExceeded")
    explain(ClientError({"Error": {"Code": "RequestLimitExceeded", "Message": "slow down"}}, "DescribeImages"))
    assert value("imagebot_aws_errors_total", code="RequestLimitExceeded") == before + 1


def test_slack_429s_are_counted_and_retried(settings, slack_api):
    slack_api.fail_next("auth.test", status=429, retry_after=0)
    before = value("imagebot_slack_rate_limited_total")
    assert web_client(settings).auth_test()["ok"]
    assert value("imagebot_slack_rate_limited_total") == before + 1


def test_a_failed_slack_call_is_counted_by_method(settings, services):
    notifier = SlackNotifier(settings)
    notifier._client = WebClient(token=BOT_TOKEN, base_url=f"http://127.0.0.1:{free_port()}/api/")  # Slack is away
    before = value("imagebot_slack_api_errors_total", method="chat.postMessage")
    record = JobRecord(id="abcd", kind="check", args={}, target="t", user_id="U0USER", channel="C0CHAN")
    assert notifier.started(record) is None  # a Slack failure never fails the job
    assert value("imagebot_slack_api_errors_total", method="chat.postMessage") == before + 1
