import os
import re
import subprocess
import sys
from unittest import mock

from moto.ec2.models import amis

from bot.sandbox import ESTATE, HOME_REGION, TOUR_AMI, build_sandbox

AMI_OR_SNAPSHOT = re.compile(r"\b(?:ami|snap)-[0-9a-f]{17}\b")


def imagebot(*args, **env):
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        input="",  # no terminal: the shell sees Ctrl-D at once
        timeout=120,
    )


def test_sandbox_seeds_a_realistic_estate():
    sandbox = build_sandbox()
    services = sandbox.services
    try:
        assert sandbox.settings.sandbox and sandbox.settings.aws_endpoint_url == sandbox.aws.endpoint_url
        home = services.ec2(HOME_REGION).describe_images(Owners=["self"])["Images"]
        by_name = {i["Name"]: i for i in home}
        assert set(by_name) == {i.name for i in ESTATE}
        assert by_name["web-base-2026.11.20"]["ImageId"] == TOUR_AMI  # the id the README's tour names
        assert by_name["batch-worker-2026.11.23"]["State"] == "pending"
        assert by_name["legacy-app-2024.03.01"]["DeprecationTime"].startswith("2025-03-01")
        copies = services.ec2("eu-west-1").describe_images(Owners=["self"])["Images"]
        web = next(i for i in copies if i["Name"] == "web-base-2026.11.20")
        assert web["SourceImageId"] == TOUR_AMI
        assert web["SourceImageRegion"] == HOME_REGION
        services.redis.set("k", "v")
        assert services.redis.get("k") == b"v"
    finally:
        sandbox.stop()


def test_the_tour_ids_survive_a_moto_release_with_other_public_amis():
    """Each moto release ships new public AMI data; the README's ids must not move with it (5.2.6 moved them)."""
    fewer = amis.AMIS[: len(amis.AMIS) // 2]
    with mock.patch.object(amis, "AMIS", fewer):
        sandbox = build_sandbox()
    try:
        home = sandbox.services.ec2(HOME_REGION).describe_images(Owners=["self"])["Images"]
        assert {i["Name"]: i["ImageId"] for i in home}["web-base-2026.11.20"] == TOUR_AMI
    finally:
        sandbox.stop()


def test_two_sandbox_processes_show_the_same_ids():
    """A README step naming an id can be repeated: every start seeds the same AMIs and snapshots."""
    runs = [imagebot("run", f"ami copies {TOUR_AMI}", "--sandbox", PYTHONHASHSEED=str(n)) for n in (1, 2)]
    for proc in runs:
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert "not found" not in proc.stdout
    first, second = (AMI_OR_SNAPSHOT.findall(proc.stdout) for proc in runs)
    assert len(set(first)) >= 4  # the home AMI and its three copies
    assert first == second


def test_without_docker_the_sandbox_still_starts_and_docker_commands_say_why():
    nowhere = "unix:///nonexistent/docker.sock"
    proc = imagebot("run", "docker inspect nginx:1.27", "--sandbox", DOCKER_HOST=nowhere)
    assert proc.returncode == 1
    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    assert len(lines) == 1 and "DOCKER_HOST" in lines[0], proc.stdout
    assert "Traceback" not in proc.stdout + proc.stderr
    pull = imagebot("run", "pull nginx:1.27", "--sandbox", DOCKER_HOST=nowhere)
    assert pull.returncode == 1 and "DOCKER_HOST" in pull.stdout and "Traceback" not in pull.stdout
    assert pull.stderr == ""  # the worker's own lines about the failed job stay in the log file
    shell = imagebot("shell", "--sandbox", DOCKER_HOST=nowhere)
    assert shell.returncode == 0, shell.stderr
    assert "Docker  not available (set DOCKER_HOST)" in shell.stdout
