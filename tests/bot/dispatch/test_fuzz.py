"""10,000 hostile texts through dispatch: surrogates, other Unicode digits, control characters, 100 KB strings.

Nothing may escape as an exception or end in the catch-all ("Something went wrong"): every text gets a
reply that says what to type instead, or an answer. AWS and Docker are unreachable on purpose (they fail
fast and must still be answered in words); Redis is the test Redis.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from bot.access.policy import Policy
from bot.dispatch.registry import REGISTRY
from bot.dispatch.run import dispatch
from bot.framework.context import Context
from bot.services import Services
from tests.conftest import free_port

ADMIN = Policy.model_validate(
    {
        "roles": {"admin": {"permissions": ["admin"]}},
        "grants": {"users": {"U0FUZZ": ["admin"]}},
        "guardrails": {"launch": {"instance_types": ["*"], "regions": ["*"]}, "pull": {"images": ["*"]}},
    }
)
NAMES = [spec.name for spec in REGISTRY.commands()]
ODD = st.characters(categories=("Cs", "Nd", "No", "Cc", "Zs", "Mn", "So"))  # surrogates, ² ١ ５, controls…
WORDS = st.one_of(
    st.text(ODD, max_size=12),
    st.text(max_size=12),
    st.sampled_from(["--limit", "--region", "--seconds", "--user", "--all", "--shared", "--type", "=", '"', "'"]),
)
TEXTS = st.one_of(
    st.builds(lambda name, words: " ".join([name, *words]), st.sampled_from(NAMES), st.lists(WORDS, max_size=5)),
    st.text(ODD, max_size=40),
    st.builds(lambda ch, n: ch * n, st.text(ODD, min_size=1, max_size=2), st.integers(50_000, 100_000)),
)


@pytest.fixture(scope="module")
def fuzz_ctx(redis_server):
    gone = f"http://127.0.0.1:{free_port()}"
    env = {
        "REDIS_URL": redis_server,
        "AWS_ENDPOINT_URL": gone,
        "AWS_MAX_ATTEMPTS": "1",
        "DOCKER_HOST": "unix:///nonexistent/imagebot-fuzz.sock",
        "IMAGEBOT_DEFAULT_REGION": "us-east-1",
    }
    from bot.core.config import load_settings

    cfg = load_settings(**env)
    services = Services(cfg, policy=ADMIN)
    yield Context(cfg, services, user_id="U0FUZZ", channel_id="C0FUZZ", registry=REGISTRY)
    services.close()


@seed(20261201)
@settings(
    max_examples=10_000,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(text=TEXTS)
def test_no_text_makes_dispatch_fail_inside(fuzz_ctx, text):
    reply = dispatch(fuzz_ctx, text)
    assert "Something went wrong on my side" not in reply.plain, (text[:200], reply.plain[:500])
    reply.to_blocks()  # and what it says can be sent to Slack
