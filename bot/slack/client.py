"""The Slack Web API client: retries rate limits (429, honouring Retry-After) and dropped connections."""

from __future__ import annotations

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

from bot.core.config import Settings
from bot.core.metrics import SLACK_RATE_LIMITED


class CountedRateLimits(RateLimitErrorRetryHandler):
    """slack_sdk's 429 handling (waits for Retry-After), counting each 429 for the metrics."""

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        limited = super()._can_retry(state=state, request=request, response=response, error=error)
        if limited:
            SLACK_RATE_LIMITED.inc()
        return limited


def web_client(settings: Settings) -> WebClient:
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    return WebClient(
        token=token,
        base_url=settings.slack_api_url,
        retry_handlers=[CountedRateLimits(max_retry_count=5), ConnectionErrorRetryHandler(max_retry_count=2)],
    )
