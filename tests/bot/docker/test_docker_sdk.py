"""Image references, pulls with progress, and inspection, against a real dockerd and registry."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import docker
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from bot.core.config import load_settings
from bot.core.errors import CommandError
from bot.docker.errors import DockerError, explain_registry_error
from bot.docker.inspect import inspect_local, inspect_remote
from bot.docker.platforms import parse_platform
from bot.docker.progress import PullTracker, describe_progress, throttled
from bot.docker.pull import pull_image
from bot.docker.reference import COMPONENT, TAG, ImageRef, parse_reference
from bot.services import Services
from tests.support.docker_services import DockerStack, free_port

MISSING_SOCKET = "unix:///tmp/imagebot-no-such-dir/docker.sock"
DIGEST = "sha256:" + "ab" * 32

# ------------------------------------------------------------------ grammar


@pytest.mark.parametrize(
    "text, expected",
    [
        ("nginx", "docker.io/library/nginx:latest"),
        ("nginx:1.27", "docker.io/library/nginx:1.27"),
        ("library/nginx", "docker.io/library/nginx:latest"),
        ("docker.io/nginx", "docker.io/library/nginx:latest"),
        ("index.docker.io/library/nginx:1", "docker.io/library/nginx:1"),
        ("bitnami/redis:7.2", "docker.io/bitnami/redis:7.2"),
        ("ghcr.io/acme/api/v2:2.3.1", "ghcr.io/acme/api/v2:2.3.1"),
        ("localhost/app", "localhost/app:latest"),
        ("localhost:5000/team/app:dev_1", "localhost:5000/team/app:dev_1"),
        ("127.0.0.1:5999/imagebot-test/multi:1.0", "127.0.0.1:5999/imagebot-test/multi:1.0"),
        ("[::1]:5000/app", "[::1]:5000/app:latest"),
        ("my-registry.example.com/a__b/c.d/e--f:TAG", "my-registry.example.com/a__b/c.d/e--f:TAG"),
        (f"nginx@{DIGEST}", f"docker.io/library/nginx@{DIGEST}"),
        (f"nginx:1.27@{DIGEST.upper().replace('SHA256', 'sha256')}", f"docker.io/library/nginx:1.27@{DIGEST}"),
        ("  nginx:1.27  ", "docker.io/library/nginx:1.27"),
    ],
)
def test_references_are_normalised(text, expected):
    assert str(parse_reference(text)) == expected


def test_a_reference_knows_what_the_engine_pulls():
    ref = parse_reference(f"ghcr.io/acme/api:2@{DIGEST}")
    assert ref == ImageRef("ghcr.io", "acme/api", "2", DIGEST)
    assert (ref.repository, ref.version, ref.pinned) == ("ghcr.io/acme/api", DIGEST, f"ghcr.io/acme/api@{DIGEST}")
    assert parse_reference("nginx").version == "latest"


@pytest.mark.parametrize(
    "text, says",
    [
        ("", "it is empty"),
        ("nginx 1.27", "contains a space"),
        ("NGINX", "`NGINX` should be `nginx`"),
        ("MyOrg/app", "`MyOrg` should be `myorg`"),
        ("nginx:", "the tag is empty"),
        ("nginx:-rc", "`-rc` is not a valid tag"),
        ("nginx:" + "x" * 129, "is not a valid tag"),
        ("a//b", "empty path part"),
        ("acme/", "empty path part"),
        ("a___b", "`a___b` is not a valid repository name part"),
        ("app-/x", "`app-` is not a valid repository name part"),
        ("nginx@sha256:abc", "`sha256:abc` is not a digest"),
        ("nginx@sha256:" + "a" * 63 + "g", "is not a digest"),
        ("nginx@sha512:" + "a" * 64, "a sha512 digest has 128 hex digits"),
        ("a@b@c", "more than one `@`"),
        ("reg.io:99999/app", "port 99999 is out of range"),
        ("-reg.io/app", "`-reg.io` is not a registry host"),
        ("reg.io/", "the repository name is missing"),
        ("x:1:2", "`1:2` is not a valid tag"),
        ("a/" * 130 + "b", "at most 255 are allowed"),
    ],
)
def test_malformed_references_say_what_is_wrong_and_show_an_example(text, says):
    with pytest.raises(CommandError) as caught:
        parse_reference(text)
    assert says in caught.value.message
    assert "Write it like `nginx:1.27`" in caught.value.message


@given(st.text())
def test_arbitrary_text_raises_nothing_but_a_command_error(text):
    try:
        parse_reference(text)
    except CommandError as exc:
        assert exc.message.endswith(".")


ALNUM = st.text("abz019", min_size=1, max_size=5)
COMPONENTS = st.builds(
    lambda words, seps: "".join(w + s for w, s in zip(words, seps, strict=False)) + words[-1],
    st.lists(ALNUM, min_size=1, max_size=3),
    st.lists(st.sampled_from([".", "_", "__", "-", "---"]), min_size=2, max_size=2),
)
TAGS = st.text("aZ09_.-", min_size=1, max_size=12).filter(lambda t: TAG.fullmatch(t) is not None)


@given(
    st.sampled_from(["", "localhost/", "ghcr.io/", "reg.example.com:5000/", "127.0.0.1:5999/", "docker.io/"]),
    st.lists(COMPONENTS, min_size=1, max_size=3),
    st.one_of(st.none(), TAGS),
    st.one_of(st.none(), st.just(DIGEST)),
)
def test_valid_references_parse_and_round_trip(domain, path, tag, digest):
    assume(domain or len(path) == 1 or "." not in path[0])  # `a.b/c` names the registry host `a.b`
    text = domain + "/".join(path) + (f":{tag}" if tag else "") + (f"@{digest}" if digest else "")
    assert all(COMPONENT.fullmatch(c) for c in path)
    ref = parse_reference(text)
    assert parse_reference(str(ref)) == ref
    assert ref.path.endswith("/".join(path))
    assert ref.tag == (tag or (None if digest else "latest"))


def test_platforms_are_checked():
    assert parse_platform("Linux/ARM64") == "linux/arm64"
    assert parse_platform("linux/arm/v7") == "linux/arm/v7"
    with pytest.raises(CommandError, match="like `linux/amd64`"):
        parse_platform("arm64")


# ------------------------------------------------------------ engine words


@pytest.mark.parametrize(
    "message, kind, says",
    [
        ("manifest for ghcr.io/acme/api:9 not found: manifest unknown: manifest unknown", "not_found", "no `9`"),
        (
            "pull access denied for acme/private, repository does not exist or may require 'docker login': "
            "denied: requested access to the resource is denied",
            "not_found",
            "docker login ghcr.io",
        ),
        ('Head "https://ghcr.io/v2/acme/api/manifests/9": unauthorized: authentication required', "auth", "login"),
        ("no basic auth credentials", "auth", "docker login ghcr.io"),
        ("no matching manifest for linux/s390x in the manifest list entries", "platform", "no image for `linux/s390x`"),
        ('Get "https://ghcr.io/v2/": dial tcp: lookup ghcr.io: no such host', "unreachable", "cannot reach"),
        ('Get "https://ghcr.io/v2/": net/http: TLS handshake timeout', "unreachable", "cannot reach"),
        ("something new and strange", "refused", "something new and strange"),
    ],
)
def test_engine_errors_are_put_in_plain_language(message, kind, says):
    error = explain_registry_error(message, parse_reference("ghcr.io/acme/api:9"), "linux/s390x")
    assert error.kind == kind
    assert says in error.message


def test_progress_is_described_in_one_line():
    detail = {"layers_done": 2, "layers_total": 4, "bytes_downloaded": 12_000_000, "bytes_total": 48_100_000}
    assert describe_progress("downloading", detail) == "downloading · 2/4 layers · 12.0 MB of 48.1 MB"


def test_throttled_progress_keeps_stage_changes_and_the_end():
    seen: list[tuple[float, str]] = []
    forward = throttled(lambda f, s, d: seen.append((f, s)), seconds=60)
    for fraction, stage in [(0.1, "downloading"), (0.2, "downloading"), (0.7, "extracting"), (1.0, "complete")]:
        forward(fraction, stage, {})
    assert seen == [(0.1, "downloading"), (0.7, "extracting"), (1.0, "complete")]


# ----------------------------------------------------- against the engine


@pytest.fixture
def client(docker_stack: DockerStack) -> Iterator[docker.DockerClient]:
    """A client of the test engine, which holds none of the test images at the start."""
    docker_stack.remove_local(*(image.ref for image in docker_stack.images.values()))
    engine = docker_stack.client()
    yield engine
    engine.close()


def record(events: list[tuple[float, str, dict[str, Any]]]):
    return lambda fraction, stage, detail: events.append((fraction, stage, dict(detail)))


@pytest.mark.docker
def test_pull_reports_layers_bytes_and_stages_and_ends_at_the_registry_digest(docker_stack, client):
    image = docker_stack.images["multi"]
    events: list[tuple[float, str, dict[str, Any]]] = []
    result = pull_image(client, image.ref, None, record(events))

    fractions = [f for f, _, _ in events]
    assert fractions == sorted(fractions) and fractions[0] == 0.0 and fractions[-1] == 1.0
    assert all(f < 1.0 for f in fractions[:-1])
    stages = [s for _, s, _ in events]
    assert {"resolving", "downloading", "verifying", "extracting", "complete"} <= set(stages)
    assert stages.index("downloading") < stages.index("extracting") < stages.index("complete")
    done = [d["layers_done"] for _, _, d in events]
    assert done == sorted(done)
    last = events[-1][2]
    assert last["layers_done"] == last["layers_total"] == image.layers == 4
    assert 0 < last["bytes_downloaded"] == last["bytes_total"] and last["bytes_total"] >= 168_000
    assert any(0 < d["bytes_downloaded"] < last["bytes_total"] for _, _, d in events)

    assert result.digest == image.digest == docker_stack.registry_digest(image.repository, image.tag)
    assert result.up_to_date is False
    assert (result.layers, result.platform) == (4, "linux/amd64")
    assert result.size > 168_000 and result.image_id.startswith("sha256:") and "UTC" in result.created
    assert dict(result.fields())["Up to date already"] == "no, downloaded now"


@pytest.mark.docker
def test_pulling_again_says_up_to_date(docker_stack, client):
    image = docker_stack.images["small"]
    first = pull_image(client, image.ref)
    events: list[tuple[float, str, dict[str, Any]]] = []
    again = pull_image(client, image.ref, None, record(events))
    assert (first.up_to_date, again.up_to_date) == (False, True)
    assert again.digest == first.digest == image.digest
    assert events[-1][:2] == (1.0, "complete")
    assert "already up to date" in again.summary


class Stop(Exception):
    """What a cancelled job's progress callback raises."""


@pytest.mark.docker
def test_a_callback_that_raises_stops_the_pull_and_a_later_pull_still_works(docker_stack, client):
    image = docker_stack.images["multi"]

    def cancel_when_downloading(fraction: float, stage: str, detail: dict[str, Any]) -> None:
        if stage == "downloading" and detail["layers_total"]:
            raise Stop

    with pytest.raises(Stop):
        pull_image(client, image.ref, None, cancel_when_downloading)
    again = pull_image(client, image.ref)
    assert again.digest == image.digest and again.layers == 4


@pytest.mark.docker
def test_pull_by_digest_and_platform(docker_stack, client):
    image = docker_stack.images["small"]
    result = pull_image(client, f"{image.repository}@{image.digest}", "linux/amd64")
    assert result.digest == image.digest and result.layers == 1


@pytest.mark.docker
def test_a_missing_tag_is_named(docker_stack, client):
    image = docker_stack.images["multi"]
    with pytest.raises(DockerError) as caught:
        pull_image(client, f"{image.repository}:9.9")
    assert caught.value.kind == "not_found"
    assert f"no `9.9` in `{image.repository}`" in caught.value.message


@pytest.mark.docker
def test_a_missing_repository_is_named(docker_stack, client):
    ref = f"{docker_stack.registry}/imagebot-test/nothing-here:1.0"
    with pytest.raises(DockerError) as caught:
        pull_image(client, ref)
    assert caught.value.kind == "not_found"
    assert f"`{ref}` was not found" in caught.value.message and "no such repository" in caught.value.message


@pytest.mark.docker
def test_a_platform_the_image_does_not_have_fails_before_downloading(docker_stack, client):
    image = docker_stack.images["small"]
    with pytest.raises(DockerError) as caught:
        pull_image(client, image.ref, "linux/s390x")
    assert caught.value.kind == "platform"
    assert "no image for `linux/s390x`" in caught.value.message and "It has linux/amd64" in caught.value.message
    assert client.images.list() == []


@pytest.mark.docker
def test_an_unreachable_registry_is_named(client):
    with pytest.raises(DockerError) as caught:
        pull_image(client, f"127.0.0.1:{free_port()}/imagebot-test/small:1.0")
    assert caught.value.kind == "unreachable" and caught.value.transient
    assert "cannot reach the registry" in caught.value.message and "connection refused" in caught.value.message


def test_a_malformed_reference_never_reaches_the_engine():
    nowhere = docker.DockerClient(base_url=MISSING_SOCKET, version="1.41")  # any call would fail to connect
    with pytest.raises(CommandError) as caught:
        pull_image(nowhere, "Acme/App:1.0")
    assert not isinstance(caught.value, DockerError)
    assert "`Acme` should be `acme`" in caught.value.message


def test_an_unreachable_engine_names_docker_host():
    services = Services(load_settings(DOCKER_HOST=MISSING_SOCKET))
    with pytest.raises(DockerError) as caught:
        services.docker.client()
    assert caught.value.kind == "engine"
    assert MISSING_SOCKET in caught.value.message and "DOCKER_HOST" in caught.value.message


def test_an_engine_that_goes_away_mid_session_names_its_host():
    gone = docker.DockerClient(base_url=MISSING_SOCKET, version="1.41")
    for call in (lambda: pull_image(gone, "nginx"), lambda: inspect_local(gone, "nginx"),
                 lambda: inspect_remote(gone, "nginx")):  # fmt: skip
        with pytest.raises(DockerError) as caught:
            call()
        assert caught.value.kind == "engine" and "DOCKER_HOST" in caught.value.message


@pytest.mark.docker
def test_inspect_local_describes_the_pulled_image(docker_stack, client):
    image = docker_stack.images["multi"]
    pull_image(client, image.ref)
    local = inspect_local(client, image.ref)
    assert local.tags == (image.ref,)
    assert local.digests == (f"{image.repository}@{image.digest}",)
    assert (local.platform, local.layers) == ("linux/amd64", 4)
    assert (local.entrypoint, local.cmd, local.ports) == (("/bin/app",), ("--serve",), ("8080/tcp", "9090/udp"))
    assert local.size > 168_000 and local.image_id.startswith("sha256:")


@pytest.mark.docker
def test_inspect_local_of_an_image_not_on_the_host_says_how_to_get_it(docker_stack, client):
    image = docker_stack.images["small"]
    with pytest.raises(DockerError) as caught:
        inspect_local(client, image.ref)
    assert caught.value.kind == "not_found"
    assert f"`/image pull {image.ref}`" in caught.value.message


@pytest.mark.docker
def test_inspect_remote_reads_the_registry_without_pulling(docker_stack, client):
    image = docker_stack.images["multi"]
    remote = inspect_remote(client, image.ref)
    assert remote.digest == image.digest
    assert remote.media_type == "application/vnd.docker.distribution.manifest.v2+json" and not remote.is_index
    assert remote.platforms == ("linux/amd64",)
    assert client.images.list() == []


@pytest.mark.docker
def test_inspect_remote_of_a_missing_tag_is_named(docker_stack, client):
    with pytest.raises(DockerError) as caught:
        inspect_remote(client, f"{docker_stack.images['small'].repository}:nope")
    assert caught.value.kind == "not_found" and "no `nope`" in caught.value.message


def test_a_resumed_layer_keeps_counting_up_instead_of_starting_over():
    """After a dropped connection dockerd resumes a layer and reports progress against what is left."""
    tracker = PullTracker()
    mb = 1_000_000
    tracker.feed({"status": "Downloading", "id": "l1", "progressDetail": {"current": 20 * mb, "total": 24 * mb}})
    before = (tracker.bytes_downloaded, tracker.bytes_total, tracker.fraction)
    tracker.feed({"status": "Retrying in 5 seconds", "id": "l1"})
    tracker.feed({"status": "Downloading", "id": "l1", "progressDetail": {"current": 1 * mb, "total": 4 * mb}})
    assert tracker.bytes_total == 24 * mb and tracker.bytes_downloaded == 21 * mb > before[0]
    assert tracker.fraction >= before[2]
