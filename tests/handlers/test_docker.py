"""`/image docker inspect` and `/image docker remote` through dispatch and through the Bolt app."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from bot.core.config import Settings, load_settings
from bot.dispatch.run import dispatch
from bot.framework.context import Context
from bot.services import Services
from bot.slack.app import build_app
from tests.support.docker_services import DockerStack
from tests.support.signing import send, slash_command_body

MISSING_SOCKET = "unix:///tmp/imagebot-no-such-dir/docker.sock"


@pytest.fixture
def docker_ctx(docker_stack: DockerStack) -> Iterator[Context]:
    """A context whose Docker engine is the test engine, with only `multi` pulled."""
    docker_stack.remove_local(*(image.ref for image in docker_stack.images.values()))
    client = docker_stack.client()
    client.images.pull(docker_stack.images["multi"].ref)
    client.close()
    services = Services(load_settings(DOCKER_HOST=docker_stack.host))
    yield Context(services.settings, services, user_id="U0USER", channel_id="C0CHAN")
    services.close()


@pytest.mark.docker
def test_inspect_shows_the_local_image(docker_stack, docker_ctx):
    image = docker_stack.images["multi"]
    reply = dispatch(docker_ctx, f"/image docker inspect {image.ref}")
    assert reply.ok and reply.ephemeral
    text = reply.plain
    assert f"Local image {image.ref}" in text
    for shown in (f"{image.repository}@{image.digest}", "linux/amd64", "8080/tcp, 9090/udp", "/bin/app", "--serve"):
        assert shown in text
    assert "Layers         4" in text
    assert reply.to_blocks()[0]["type"] == "header"


@pytest.mark.docker
def test_remote_shows_what_the_registry_has(docker_stack, docker_ctx):
    image = docker_stack.images["small"]
    reply = dispatch(docker_ctx, f"/image docker remote {image.ref}")
    assert reply.ok
    assert image.digest in reply.text
    assert "`application/vnd.docker.distribution.manifest.v2+json` (single image manifest)" in reply.text
    assert "linux/amd64" in reply.text and "Nothing was pulled" in reply.text


@pytest.mark.docker
def test_an_image_not_on_the_host_says_what_to_type(docker_stack, docker_ctx):
    image = docker_stack.images["small"]
    reply = dispatch(docker_ctx, f"/image docker inspect {image.ref}")
    assert not reply.ok
    assert f"`/image pull {image.ref}`" in reply.text and f"`/image docker remote {image.ref}`" in reply.text


@pytest.mark.docker
def test_a_tag_the_registry_lacks_is_named(docker_stack, docker_ctx):
    reply = dispatch(docker_ctx, f"/image docker remote {docker_stack.images['multi'].repository}:2.0")
    assert not reply.ok and "no `2.0`" in reply.text


def test_a_malformed_reference_is_explained():
    ctx = _unreachable_ctx()
    reply = dispatch(ctx, "/image docker inspect Nginx:1.27")
    assert not reply.ok and "`Nginx` should be `nginx`" in reply.text


def test_a_missing_engine_is_one_line_saying_what_to_do():
    """Checked before the command accepts work: one line, with the address and the fix."""
    for sub in ("inspect", "remote"):
        reply = dispatch(_unreachable_ctx(), f"/image docker {sub} nginx:1.27")
        assert not reply.ok and "\n" not in reply.plain.strip()
        assert f"The Docker engine is not reachable at `{MISSING_SOCKET}`. Start it, or set DOCKER_HOST." in reply.plain


def test_an_unreachable_engine_names_docker_host():
    ctx = _unreachable_ctx()
    for sub in ("inspect", "remote"):
        reply = dispatch(ctx, f"/image docker {sub} nginx:1.27")
        assert not reply.ok
        assert MISSING_SOCKET in reply.text and "DOCKER_HOST" in reply.text


def test_usage_is_shown_without_a_reference():
    reply = dispatch(_unreachable_ctx(), "/image docker remote")
    assert not reply.ok and "Usage: `/image docker remote <image-ref>`" in reply.plain
    assert "Usage: `/image docker remote &lt;image-ref&gt;`" in reply.text  # Slack gets the placeholder escaped


def test_help_lists_both_subcommands():
    text = dispatch(_unreachable_ctx(), "/image help").text
    assert "/image docker inspect" in text and "/image docker remote" in text


@pytest.mark.docker
def test_slack_acks_first_then_answers_through_response_url(docker_stack, settings: Settings, slack_api):
    image = docker_stack.images["small"]
    services = Services(settings.model_copy(update={"docker_host": docker_stack.host}))
    app = build_app(services.settings, services)
    resp = send(app, slash_command_body(f"docker remote {image.ref}", slack_api.response_url()))
    assert resp.status == 200 and "Working on `/image docker remote`" in json.loads(resp.body)["text"]
    answer = slack_api.wait_for("response_url")[0].body
    assert answer["response_type"] == "ephemeral" and image.digest in answer["text"]
    assert answer["blocks"][0]["type"] == "header"
    services.close()


def _unreachable_ctx() -> Context:
    services = Services(load_settings(DOCKER_HOST=MISSING_SOCKET))
    return Context(services.settings, services)
