from unittest import mock

import pytest
from slack_sdk.models.blocks import Block

from bot.dispatch.run import dispatch
from bot.docker.errors import DockerError
from bot.framework.context import Context
from bot.services import Services
from knowledge.base import load_dimensions
from tests.support.ec2 import create_ami


def test_table_shows_every_dimension_for_both_and_lists_them(ctx):
    reply = dispatch(ctx, "/image compare")
    blocks = reply.to_blocks()
    for raw in blocks:
        Block.parse(raw).validate_json()
    shown = str(blocks)
    for dim in load_dimensions():
        assert dim.name in shown and dim.docker in shown and dim.ami in shown
    footer = [b for b in blocks if b["type"] == "context"][-1]["elements"][0]["text"]
    assert all(f"`{d.id}`" in footer for d in load_dimensions())
    assert reply.ephemeral


@pytest.mark.parametrize("name", ["startup", "Start-up time", "boot time", "strtup", "cold start"])
def test_one_dimension_by_id_alias_or_typo(ctx, name):
    reply = dispatch(ctx, f'/image compare "{name}"')
    assert reply.ok, reply.text
    assert reply.plain.startswith("Start-up time: Docker image vs AMI")
    assert "Related topics" in reply.text


def test_unknown_dimension_lists_the_choices(ctx):
    reply = dispatch(ctx, "/image compare flavour")
    assert not reply.ok and "`isolation`" in reply.text and "/image compare isolation" in reply.text


def test_shared_comparison_is_in_channel(ctx):
    reply = dispatch(ctx, "/image compare isolation --shared")
    assert reply.ephemeral is False and "Shared by <@U0USER>" in reply.text


def test_one_ami_id_alone_says_to_name_an_image_too(ctx):
    reply = dispatch(ctx, "/image compare ami-0123456789abcdef0")
    assert not reply.ok and "/image compare ami-0123456789abcdef0 nginx:1.27" in reply.text


def test_concrete_comparison_validates_before_asking_anyone(ctx):
    assert "ami-" in dispatch(ctx, "/image compare ami-nothex nginx:1.27").text
    assert "`Nginx` should be `nginx`" in dispatch(ctx, "/image compare ami-0123456789abcdef0 Nginx:1.27").text


def test_concrete_comparison_without_an_engine_says_so_before_asking_aws(settings):
    """No engine at DOCKER_HOST: one line about it, and no AWS call is made (fail fast)."""
    services = Services(settings.model_copy(update={"docker_host": "unix:///nonexistent/imagebot.sock"}))
    ctx = Context(services.settings, services, user_id="U0USER", channel_id="C0CHAN")
    with mock.patch("handlers.compare.resolve_ami") as describe:
        reply = dispatch(ctx, "/image compare ami-0123456789abcdef0 nginx:1.27")
    assert not reply.ok and reply.plain.strip().count("\n") == 0
    assert "The Docker engine is not reachable at `unix:///nonexistent/imagebot.sock`." in reply.plain
    describe.assert_not_called()


@pytest.mark.docker
def test_concrete_comparison_of_an_unknown_ami_names_the_region(settings, docker_stack):
    services = Services(settings.model_copy(update={"docker_host": docker_stack.host}))
    ctx = Context(services.settings, services, user_id="U0USER", channel_id="C0CHAN")
    unknown = dispatch(ctx, f"/image compare ami-0123456789abcdef0 {docker_stack.images['small'].ref}")
    assert not unknown.ok and "`ami-0123456789abcdef0` was not found in `us-east-1`" in unknown.text
    services.close()


@pytest.mark.docker
def test_concrete_comparison_of_a_real_ami_and_a_real_image(settings, docker_stack):
    services = Services(settings.model_copy(update={"docker_host": docker_stack.host}))
    ctx = Context(services.settings, services, user_id="U0USER", channel_id="C0CHAN")
    ami = create_ami(services, "us-east-1", "web-base-2026.11.20")
    image = docker_stack.images["small"]
    docker_stack.remove_local(image.ref)
    remote = dispatch(ctx, f"/image compare {ami} {image.ref}")
    assert remote.ok, remote.text
    for shown in ("web-base-2026.11.20", "x86_64", "EC2 in us-east-1", image.digest, "not pulled", "Where it lives"):
        assert shown in remote.text
    client = docker_stack.client()
    client.images.pull(image.ref)
    client.close()
    local = dispatch(ctx, f"/image compare {ami} {image.ref}")
    assert "this bot's Docker host" in local.text and "linux/amd64" in local.text


@pytest.mark.docker
def test_concrete_comparison_reports_an_engine_failure_instead_of_asking_the_registry(settings, docker_stack):
    """Only "not on this host" falls back to the registry; a failing engine is the answer itself."""
    services = Services(settings.model_copy(update={"docker_host": docker_stack.host}))
    ctx = Context(services.settings, services, user_id="U0USER", channel_id="C0CHAN")
    ami = create_ami(services, "us-east-1", "web-base-2026.11.20")
    timeout = DockerError("The Docker engine at `unix:///x` did not answer in time. Try again in a minute.", "engine")
    with (
        mock.patch("handlers.compare.inspect_local", side_effect=timeout),
        mock.patch("handlers.compare.inspect_remote") as remote,
    ):
        reply = dispatch(ctx, f"/image compare {ami} {docker_stack.images['small'].ref}")
    assert not reply.ok and "did not answer in time" in reply.text
    remote.assert_not_called()


def test_two_words_that_are_a_topic_are_compared_on_that_topic_without_asking_aws(ctx, services):
    with mock.patch.object(services, "ec2", side_effect=AssertionError("AWS was called")):
        for text in ("/image compare boot time", "/image compare cold start", "/image compare Boot  Time"):
            reply = dispatch(ctx, text)
            assert reply.ok, reply.plain
            assert reply.plain.startswith("Start-up time: Docker image vs AMI")


def test_words_that_are_no_topic_get_no_such_topic_and_the_nearest_one(ctx, services):
    with mock.patch.object(services, "ec2", side_effect=AssertionError("AWS was called")):
        reply = dispatch(ctx, "/image compare bootup speed")
        assert not reply.ok
        assert "There is no comparison topic `bootup speed`. Did you mean `/image compare startup` or" in reply.plain
        assert "not an AMI id" not in reply.plain


@pytest.mark.docker
@pytest.mark.usefixtures("no_default_amis")
def test_an_ami_name_with_an_image_reference_is_the_concrete_comparison(settings, docker_stack):
    services = Services(settings.model_copy(update={"docker_host": docker_stack.host}))
    ctx = Context(services.settings, services, user_id="U0USER", channel_id="C0CHAN")
    create_ami(services, "eu-west-1", "web-base-2026.11.20")
    reply = dispatch(ctx, f"/image compare web-base-2026.11.20 {docker_stack.images['small'].ref}")
    services.close()
    assert not reply.ok
    assert "No AMI you own named `web-base-2026.11.20` is in `us-east-1`" in reply.plain
    assert "It is in `eu-west-1`: add `--region eu-west-1`" in reply.plain
