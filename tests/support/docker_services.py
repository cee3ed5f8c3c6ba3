"""A private Docker engine and registry for the tests and the pull benchmark.

`start_stack()` starts, as root, a `dockerd` on its own socket, data and exec
roots (vfs storage, no bridge, no iptables) and Debian's `docker-registry` on a
free loopback port, and waits until both answer. Nothing reaches Docker Hub:
images are made locally with `docker import` (the engine API's import) from
tarballs written here, then `docker build` FROM that local base with COPY
steps, one layer each, and pushed to the private registry.

`stop()` ends both processes and removes every file they wrote. The chaos tests
stop one of them mid-session and bring it back where it was: `stop_registry()`
/ `start_registry()` (same address, config and storage) and `stop_engine()` /
`start_engine()` (same socket, data and exec roots).
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import signal
import socket
import subprocess
import tarfile
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import docker
import docker.errors
import requests.exceptions

MANIFEST_TYPES = ", ".join(
    [
        "application/vnd.docker.distribution.manifest.v2+json",
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.oci.image.index.v1+json",
    ]
)
NAMESPACE = "imagebot-test"


class ServiceUnavailable(Exception):
    """dockerd or the registry cannot be had here; the message says why and what to install."""


@dataclass(frozen=True)
class TestImage:
    ref: str  # 127.0.0.1:<port>/imagebot-test/<name>:<tag>
    repository: str
    tag: str
    digest: str  # what the registry itself answers for the tag
    layers: int


@dataclass
class DockerStack:
    workdir: Path
    dockerd: subprocess.Popen[bytes]
    registry_proc: subprocess.Popen[bytes]
    registry: str  # 127.0.0.1:<port>
    images: dict[str, TestImage] = field(default_factory=dict)

    @property
    def socket(self) -> Path:
        return self.workdir / "docker.sock"

    @property
    def host(self) -> str:
        """The DOCKER_HOST value for this engine."""
        return f"unix://{self.socket}"

    def client(self, timeout: int = 120) -> docker.DockerClient:
        return docker.DockerClient(base_url=self.host, timeout=timeout)

    def registry_digest(self, repository: str, tag: str) -> str:
        """The digest the registry serves for a tag, asked over its own HTTP API."""
        path = repository.removeprefix(f"{self.registry}/")
        request = urllib.request.Request(
            f"http://{self.registry}/v2/{path}/manifests/{tag}", method="HEAD", headers={"Accept": MANIFEST_TYPES}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return str(response.headers["Docker-Content-Digest"])

    def remove_local(self, *refs: str) -> None:
        """Forget images on the engine (so the next pull downloads every layer again)."""
        client = self.client()
        for ref in refs:
            with contextlib.suppress(docker.errors.ImageNotFound):
                client.images.remove(ref, force=True)
        client.images.prune(filters={"dangling": False})
        client.close()

    def stop_registry(self) -> None:
        """Stop the registry process as an outage would (SIGTERM); its storage stays for `start_registry()`."""
        _end(self.registry_proc)

    def start_registry(self) -> None:
        """Start the registry again on the same address, config and storage (a no-op while it runs)."""
        if self.registry_proc.poll() is None:
            return
        binary = find_binary("docker-registry", "/usr/bin/docker-registry")
        self.registry_proc = _start_registry(binary, self.workdir, self.registry, log_mode="ab")
        _wait_for_registry(self)

    def stop_engine(self) -> None:
        """Stop dockerd (SIGTERM, as `systemctl stop docker` would); its data root stays for `start_engine()`."""
        _end(self.dockerd)

    def start_engine(self) -> None:
        """Start dockerd again on the same socket, data and exec roots (a no-op while it runs)."""
        if self.dockerd.poll() is None:
            return
        binary = find_binary("dockerd", "/usr/sbin/dockerd", "/usr/bin/dockerd")
        self.dockerd = _start_dockerd(binary, self.workdir, self.registry, log_mode="ab")
        _wait_for_engine(self)

    def stop(self) -> None:
        for proc in (self.dockerd, self.registry_proc):
            _end(proc)
        shutil.rmtree(self.workdir, ignore_errors=True)


def _end(proc: subprocess.Popen[bytes], grace: float = 20.0) -> None:
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def find_binary(name: str, *fallbacks: str) -> str:
    found = shutil.which(name) or next((f for f in fallbacks if os.access(f, os.X_OK)), None)
    if found is None:
        package = "docker-registry" if name == "docker-registry" else "docker.io"
        raise ServiceUnavailable(f"`{name}` is missing: apt-get install {package} (scripts/setup --test does)")
    return found


# ----------------------------------------------------------------- start-up


def start_stack(prefix: str = "imagebot-docker-") -> DockerStack:
    """Start dockerd and the registry in a fresh temporary directory; ServiceUnavailable if they cannot run."""
    if os.geteuid() != 0:
        raise ServiceUnavailable("a private dockerd needs root; run the tests as root (CI does)")
    dockerd_bin = find_binary("dockerd", "/usr/sbin/dockerd", "/usr/bin/dockerd")
    registry_bin = find_binary("docker-registry", "/usr/bin/docker-registry")
    workdir = Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))  # short: a unix socket path has 107 bytes
    registry = f"127.0.0.1:{free_port()}"
    registry_proc = _start_registry(registry_bin, workdir, registry)
    dockerd = _start_dockerd(dockerd_bin, workdir, registry)
    stack = DockerStack(workdir, dockerd, registry_proc, registry)
    try:
        _wait_for_registry(stack)
        _wait_for_engine(stack)
    except ServiceUnavailable:
        stack.stop()
        raise
    return stack


def _start_registry(binary: str, workdir: Path, address: str, log_mode: str = "wb") -> subprocess.Popen[bytes]:
    config = workdir / "registry.yml"
    config.write_text(
        "version: 0.1\n"
        "log:\n  level: error\n  accesslog:\n    disabled: true\n"
        f"storage:\n  filesystem:\n    rootdirectory: {workdir / 'registry'}\n  delete:\n    enabled: true\n"
        f"http:\n  addr: {address}\n"
    )
    log = (workdir / "registry.log").open(log_mode)
    return subprocess.Popen([binary, "serve", str(config)], stdout=log, stderr=subprocess.STDOUT)


def _start_dockerd(binary: str, workdir: Path, registry: str, log_mode: str = "wb") -> subprocess.Popen[bytes]:
    args = [
        binary,
        "--iptables=false",
        "--ip-masq=false",
        "--bridge=none",
        "--storage-driver=vfs",
        f"--host=unix://{workdir / 'docker.sock'}",
        f"--data-root={workdir / 'data'}",
        f"--exec-root={workdir / 'exec'}",
        f"--pidfile={workdir / 'docker.pid'}",
        f"--insecure-registry={registry}",
        "--log-level=warn",
    ]
    log = (workdir / "dockerd.log").open(log_mode)
    return subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)


def _wait_for_registry(stack: DockerStack, seconds: float = 15) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://{stack.registry}/v2/", timeout=1):
                return
        except (urllib.error.URLError, ConnectionError):
            if stack.registry_proc.poll() is not None:
                break
            time.sleep(0.05)
    raise ServiceUnavailable(f"docker-registry did not start on {stack.registry}: {_tail(stack, 'registry.log')}")


def _wait_for_engine(stack: DockerStack, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if stack.socket.exists():
            try:
                client = stack.client(timeout=5)
                client.ping()
                client.close()
                return
            except (docker.errors.DockerException, requests.exceptions.ConnectionError):
                pass
        if stack.dockerd.poll() is not None:
            break
        time.sleep(0.1)
    raise ServiceUnavailable(f"dockerd did not start on {stack.socket}: {_tail(stack, 'dockerd.log')}")


def _tail(stack: DockerStack, name: str, lines: int = 5) -> str:
    path = stack.workdir / name
    text = path.read_text(errors="replace") if path.exists() else ""
    return " | ".join(text.strip().splitlines()[-lines:]) or "no output"


# ------------------------------------------------------------------- images


def tarball(files: dict[str, bytes]) -> bytes:
    """An uncompressed tar of the given files (paths relative to the root)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(data), 0o755, 1_700_000_000
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def import_image(
    client: docker.DockerClient, ref: str, files: dict[str, bytes], changes: list[str] | None = None
) -> None:
    """`docker import` a tarball of these files as a one-layer image."""
    repository, _, tag = ref.rpartition(":")
    client.api.import_image_from_data(tarball(files), repository=repository, tag=tag, changes=changes)


def build_layers(client: docker.DockerClient, ref: str, base: str, layers: list[bytes], config: list[str]) -> None:
    """`docker build` FROM a local image, one COPY (one layer) per blob, then the config lines."""
    steps = [f"FROM {base}", *(f"COPY layer{i} /data/layer{i}" for i in range(len(layers))), *config]
    context = {"Dockerfile": "\n".join(steps).encode(), **{f"layer{i}": blob for i, blob in enumerate(layers)}}
    client.images.build(
        fileobj=io.BytesIO(tarball(context)), custom_context=True, tag=ref, rm=True, forcerm=True, pull=False
    )


def push(client: docker.DockerClient, ref: str) -> str:
    """Push to the registry; the digest it reports."""
    repository, _, tag = ref.rpartition(":")
    for event in client.api.push(repository, tag=tag, stream=True, decode=True):
        if "error" in event:
            raise ServiceUnavailable(f"pushing {ref} failed: {event['error']}")
        if event.get("aux", {}).get("Digest"):
            return str(event["aux"]["Digest"])
    raise ServiceUnavailable(f"pushing {ref}: the engine reported no digest")


def seed_images(stack: DockerStack, layer_sizes: tuple[int, ...] = (48_000, 96_000, 24_000)) -> dict[str, TestImage]:
    """`small` (one imported layer) and `multi` (base + one layer per size), pushed, then removed locally."""
    client = stack.client()
    base = f"{stack.registry}/{NAMESPACE}/base:1.0"
    small = f"{stack.registry}/{NAMESPACE}/small:1.0"
    multi = f"{stack.registry}/{NAMESPACE}/multi:1.0"
    import_image(client, small, {"etc/imagebot": b"small\n"}, changes=['CMD ["/bin/true"]'])
    import_image(client, base, {"etc/imagebot": b"base\n", "bin/app": b"#!/bin/sh\n"})
    config = ['ENTRYPOINT ["/bin/app"]', 'CMD ["--serve"]', "EXPOSE 8080/tcp 9090/udp"]
    build_layers(client, multi, base, [os.urandom(n) for n in layer_sizes], config)
    images = {name: _pushed(stack, client, ref) for name, ref in (("small", small), ("multi", multi))}
    client.close()
    stack.remove_local(base, small, multi)
    stack.images.update(images)
    return images


def _pushed(stack: DockerStack, client: docker.DockerClient, ref: str) -> TestImage:
    push(client, ref)
    repository, _, tag = ref.rpartition(":")
    layers = len(client.images.get(ref).attrs["RootFS"]["Layers"])
    return TestImage(ref, repository, tag, stack.registry_digest(repository, tag), layers)
