"""Real services for the tests: Redis, moto's server over HTTP, a Slack stand-in.

Each is started once per session when none answers. Under CI=true a service
that cannot be had fails the test with a clear message instead of skipping.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docker.errors
import hypothesis
import pytest
import redis

from bot.access.policy import load_policy
from bot.core.config import Settings, load_settings
from bot.dispatch.registry import REGISTRY
from bot.framework.context import Context
from bot.services import Services
from bot.slack.notifier import SlackNotifier
from tests.support.docker_services import DockerStack, ServiceUnavailable, seed_images, start_stack
from tests.support.signing import SIGNING_SECRET
from tests.support.slack_api import SlackStandIn

IN_CI = os.environ.get("CI", "").lower() == "true"
KEEP_ENV = ("IMAGEBOT_TEST_REDIS_URL", "IMAGEBOT_CACHE_DIR")

# Under CI the property tests draw the same examples on every run: a new failure is then a change's doing,
# not the luck of the draw. Run without CI to let Hypothesis look for new ones; pin what it finds with @example.
hypothesis.settings.register_profile("ci", derandomize=True, print_blob=True)
if IN_CI:
    hypothesis.settings.load_profile("ci")


def pytest_configure(config: pytest.Config) -> None:
    """The knowledge index cache and the shell's log and history of this run go to temporary directories."""
    os.environ["IMAGEBOT_CACHE_DIR"] = tempfile.mkdtemp(prefix="imagebot-cache-")
    os.environ["XDG_STATE_HOME"] = tempfile.mkdtemp(prefix="imagebot-state-")


def pytest_unconfigure(config: pytest.Config) -> None:
    shutil.rmtree(os.environ.pop("IMAGEBOT_CACHE_DIR", ""), ignore_errors=True)
    shutil.rmtree(os.environ.pop("XDG_STATE_HOME", ""), ignore_errors=True)


BOT_TOKEN = "xoxb-test-0000000000-abcdefghijklmnop"
APP_TOKEN = "xapp-1-test-abcdefghijklmnop"


def unavailable(what: str, how: str) -> None:
    """Skip locally; fail under CI, where every service must be there."""
    message = f"{what} is not available: {how}"
    if IN_CI:
        pytest.fail(f"CI=true and {message}", pytrace=False)
    pytest.skip(message)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# ------------------------------------------------------------------- Redis


@pytest.fixture(scope="session")
def redis_server() -> Iterator[str]:
    """A real redis-server of the test session's own (or IMAGEBOT_TEST_REDIS_URL)."""
    given = os.environ.get("IMAGEBOT_TEST_REDIS_URL")
    if given:
        yield given
        return
    binary = shutil.which("redis-server")
    if binary is None:
        unavailable("redis-server", "install it (apt-get install redis-server) or run ./scripts/test")
    port = free_port()
    workdir = tempfile.mkdtemp(prefix="imagebot-redis-")
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", workdir],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    _wait_for_redis(url, proc)
    yield url
    proc.terminate()
    proc.wait(5)
    shutil.rmtree(workdir, ignore_errors=True)


def _wait_for_redis(url: str, proc: subprocess.Popen[bytes]) -> None:
    client = redis.Redis.from_url(url)
    for _ in range(100):
        try:
            client.ping()
            return
        except redis.ConnectionError:
            if proc.poll() is not None:
                break
            time.sleep(0.05)
    unavailable("redis-server", f"it did not start on {url}")


@pytest.fixture
def redis_url(redis_server: str) -> str:
    """An empty real Redis database for this test."""
    redis.Redis.from_url(redis_server).flushdb()
    return redis_server


# --------------------------------------------------------------------- AWS


@pytest.fixture(scope="session")
def moto_server() -> Iterator[str]:
    """moto's server on a loopback port, reached over HTTP like real AWS."""
    try:
        from moto.server import ThreadedMotoServer
    except ImportError:
        unavailable("moto's server", "pip install 'moto[server]' (./scripts/test does)")
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def aws_url(moto_server: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """moto's endpoint with its state reset and fake credentials in the environment."""
    import urllib.request

    urllib.request.urlopen(urllib.request.Request(f"{moto_server}/moto-api/reset", method="POST")).read()
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    return moto_server


# ------------------------------------------------------------------ Docker


@pytest.fixture(scope="session")
def docker_stack() -> Iterator[DockerStack]:
    """A private dockerd and docker-registry with the test images pushed (tests/support/docker_services.py)."""
    try:
        stack = start_stack()
    except ServiceUnavailable as exc:
        unavailable("a private Docker engine and registry", str(exc))
    try:
        seed_images(stack)
    except (ServiceUnavailable, docker.errors.DockerException) as exc:
        stack.stop()
        unavailable("the test images", str(exc))
    yield stack
    stack.stop()


# ------------------------------------------------------------------ worker


@pytest.fixture
def start_worker(settings: Settings, tmp_path: Path) -> Iterator[Any]:
    """Start real `imagebot worker` subprocesses (test job kinds, short heartbeats); stopped after the test."""
    from tests.support.worker import WorkerProcess

    workers: list[WorkerProcess] = []

    def start(with_settings: Settings | None = None, **env: str) -> WorkerProcess:
        workers.append(WorkerProcess(with_settings or settings, tmp_path, **env))
        return workers[-1]

    yield start
    for worker in workers:
        worker.stop()


# ------------------------------------------------------------------- Slack


@pytest.fixture(scope="session")
def slack_server() -> Iterator[SlackStandIn]:
    standin = SlackStandIn()
    yield standin
    standin.stop()


@pytest.fixture
def slack_api(slack_server: SlackStandIn) -> SlackStandIn:
    """The Slack Web API stand-in, its recorded calls cleared for this test."""
    slack_server.reset()
    return slack_server


# ------------------------------------------------------------ bot plumbing


@pytest.fixture
def settings(redis_url: str, aws_url: str, slack_api: SlackStandIn, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Settings pointing every client at the test services."""
    for name in list(os.environ):
        if name.startswith(("SLACK_", "IMAGEBOT_")) and name not in KEEP_ENV:
            monkeypatch.delenv(name)
    return load_settings(
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_APP_TOKEN=APP_TOKEN,
        SLACK_API_URL=slack_api.url,
        REDIS_URL=redis_url,
        AWS_ENDPOINT_URL=aws_url,
        IMAGEBOT_DEFAULT_REGION="us-east-1",
    )


@pytest.fixture
def services(settings: Settings) -> Iterator[Services]:
    """The services the Slack transport runs with: job messages go to the Slack stand-in."""
    svc = Services(settings, notifier=SlackNotifier(settings))
    yield svc
    svc.close()


@pytest.fixture
def ctx(settings: Settings, services: Services) -> Context:
    return Context(settings, services, user_id="U0USER", channel_id="C0CHAN", transport="slack")


@pytest.fixture
def app(settings: Settings, services: Services) -> Any:
    """The real Bolt app, wired to the stand-in and the test services."""
    from bot.slack.app import build_app

    return build_app(settings, services)


@pytest.fixture
def repo_root() -> Path:
    return Path(__file__).resolve().parent.parent


@pytest.fixture
def no_default_amis(monkeypatch: pytest.MonkeyPatch) -> None:
    """moto without its hundreds of default AMIs per region (set before `aws_url` resets moto)."""
    monkeypatch.setenv("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")


@pytest.fixture
def policy_file(tmp_path: Path, policy_text: str) -> str:
    """`policy_text`, which the test directory or module defines, as a policy file."""
    path = tmp_path / "policy.yml"
    path.write_text(policy_text)
    return str(path)


@pytest.fixture
def ops(settings: Settings, policy_file: str) -> Iterator[Context]:
    """U0OPS in C0OPS from Slack, under the policy in `policy_file`."""
    services = Services(settings, policy=load_policy(policy_file), notifier=SlackNotifier(settings))
    yield Context(settings, services, user_id="U0OPS", channel_id="C0OPS", transport="slack", registry=REGISTRY)
    services.close()
