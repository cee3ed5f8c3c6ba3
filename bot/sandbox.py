"""The sandbox: the whole bot with no AWS account, no Redis and no Slack.

AWS is moto's server on a loopback port inside this process, seeded with a
small but realistic estate whose ids are the same on every start (moto's
random generator is seeded first), so a tour can name them; Redis is
fakeredis in memory; Docker is the real engine when one answers, and
otherwise each Docker command says in one line how to get one. Nothing here
is used outside `--sandbox`.
"""

from __future__ import annotations

import logging
import os
import re
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import fakeredis
from moto.ec2.models import ec2_backends
from moto.server import ThreadedMotoServer

from bot.core.config import Settings, load_settings
from bot.core.markup import Mrkdwn, md
from bot.docker.engine import DockerEngine
from bot.docker.errors import DEFAULT_SOCKET, DockerError
from bot.services import Services
from bot.worker.process import start_inprocess_worker

log = logging.getLogger(__name__)

ACCOUNT = "123456789012"
EXAMPLE_POLICY = Path(__file__).resolve().parent.parent / "policy.example.yml"  # U_LOCAL is an admin there
HOME_REGION = "us-east-1"
EXPECTED_REGIONS = ("us-east-1", "eu-west-1", "us-west-2", "ap-southeast-2")
ID_SEED = 14  # moto's ids follow from this seed: change it and the README's tour ids change too
# The estate's ids on every start (tests/bot/test_sandbox.py checks them; the README's tour uses them).
TOUR_AMI = "ami-c138bdd4e7245407b"  # web-base-2026.11.20 in us-east-1, with copies in three regions
DOCKER_PROBE_SECONDS = 1.0


@dataclass(frozen=True)
class DemoImage:
    name: str
    copies: tuple[str, ...] = ()
    state: str = "available"
    deprecated_at: str | None = None
    tags: tuple[tuple[str, str], ...] = ()


ESTATE = (
    DemoImage("web-base-2026.11.20", ("eu-west-1", "us-west-2", "ap-southeast-2"), tags=(("team", "web"),)),
    DemoImage("api-golden-2026.11.02", ("eu-west-1",), tags=(("team", "api"),)),
    DemoImage("batch-worker-2026.11.23", state="pending", tags=(("team", "data"),)),
    DemoImage("legacy-app-2024.03.01", ("eu-west-1",), deprecated_at="2025-03-01T00:00:00.000Z"),
    DemoImage("ml-gpu-2026.09.15", tags=(("team", "ml"),)),
)


class SandboxAws:
    """moto's server in a thread on 127.0.0.1, with the demo estate seeded."""

    def __init__(self) -> None:
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        self.server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self.server.start()
        host, port = self.server.get_host_and_port()
        self.endpoint_url = f"http://{host}:{port}"
        # moto's state is per process: another moto in this process (a test's) must not leave its AMIs here.
        self._call("reset")

    def seed_ids(self) -> None:
        """Seed moto's id generator (its documented endpoint): every id made from here on is the same on every start.

        Call it once the regions the estate uses exist. moto makes a region on its first request, and with
        it that region's default VPC and its copy of the public AMIs, each with a volume and a snapshot:
        some 370,000 draws that change with every moto release's AMI data (5.2.5 to 5.2.6 moved them).
        Seeded after that, the ids depend only on the estate's own requests.
        """
        self._call(f"seed?a={ID_SEED}")

    def _call(self, action: str) -> None:
        request = urllib.request.Request(f"{self.endpoint_url}/moto-api/{action}", method="POST")
        with urllib.request.urlopen(request, timeout=10) as answer:
            answer.read()

    def stop(self) -> None:
        self.server.stop()


def sandbox_settings(endpoint_url: str) -> Settings:
    """Settings for the sandbox: fake credentials, the local moto endpoint."""
    # Real credentials must never be sent anywhere from the sandbox, not even to moto.
    os.environ["AWS_ACCESS_KEY_ID"] = "sandbox"
    os.environ["AWS_SECRET_ACCESS_KEY"] = "sandbox-secret-not-a-real-key"
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
        os.environ.pop(name, None)
    return load_settings(
        AWS_ENDPOINT_URL=endpoint_url,
        IMAGEBOT_DEFAULT_REGION=HOME_REGION,
        IMAGEBOT_SANDBOX=True,
        IMAGEBOT_EXPECTED_REGIONS=",".join(EXPECTED_REGIONS),
        REDIS_URL="redis://sandbox/0",
        IMAGEBOT_POLICY_FILE=os.environ.get("IMAGEBOT_POLICY_FILE") or str(EXAMPLE_POLICY),
    )


def estate_regions() -> tuple[str, ...]:
    """The regions the estate has AMIs in, home first."""
    copies = (region for image in ESTATE for region in image.copies)
    return tuple(dict.fromkeys((HOME_REGION, *copies)))


def make_regions(services: Services) -> None:
    """One request to each region the estate uses, so moto makes them (and their default resources) now."""
    for region in estate_regions():
        services.ec2(region).describe_images(Owners=["self"])


def seed_estate(services: Services) -> dict[str, str]:
    """Create the demo AMIs and their region copies; returns name -> home AMI id."""
    ec2 = services.ec2(HOME_REGION)
    base = ec2.describe_images(Owners=["amazon"], Filters=[{"Name": "name", "Values": ["amzn2-ami-hvm-*x86_64*"]}])
    base_id = base["Images"][0]["ImageId"]
    instance = ec2.run_instances(ImageId=base_id, MinCount=1, MaxCount=1, InstanceType="t3.micro")
    instance_id = instance["Instances"][0]["InstanceId"]
    ids: dict[str, str] = {}
    for image in ESTATE:
        tags = [{"Key": k, "Value": v} for k, v in image.tags]
        spec = [{"ResourceType": "image", "Tags": tags}] if tags else []
        ami_id = ec2.create_image(InstanceId=instance_id, Name=image.name, TagSpecifications=spec)["ImageId"]
        ids[image.name] = ami_id
        _set_fields(HOME_REGION, ami_id, state=image.state, deprecation_time=image.deprecated_at, **_dates(image, 0))
        for region in image.copies:
            copy_id = services.ec2(region).copy_image(
                SourceImageId=ami_id, SourceRegion=HOME_REGION, Name=image.name, CopyImageTags=True
            )["ImageId"]
            _set_fields(
                region,
                copy_id,
                source_image_id=ami_id,
                source_image_region=HOME_REGION,
                deprecation_time=image.deprecated_at,
                **_dates(image, 2),
            )
    ec2.terminate_instances(InstanceIds=[instance_id])
    return ids


def _dates(image: DemoImage, hours_later: int) -> dict[str, Any]:
    """Created on the date in its name (copies a little later), launched the day after; Linux.

    moto answers DescribeImageAttribute(lastLaunchedTime) from `lld` (a 500 when unset)
    and returns no PlatformDetails of its own.
    """
    fields: dict[str, Any] = {"platform_details": "Linux/UNIX", "lld": ""}
    found = re.search(r"(\d{4})\.(\d{2})\.(\d{2})$", image.name)
    now = datetime.now(UTC)
    if found:
        year, month, day = (int(g) for g in found.groups())
        created = datetime(year, month, day, 9, tzinfo=UTC) + timedelta(hours=hours_later)
        fields["creation_date"] = min(created, now)
        if hours_later == 0 and image.state == "available":
            fields["lld"] = min(created + timedelta(days=1), now).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    return fields


def _set_fields(region: str, ami_id: str, **fields: Any) -> None:
    """Fields real EC2 returns that moto's API cannot set (state, source, deprecation)."""
    ami = ec2_backends[ACCOUNT][region].amis[ami_id]
    for name, value in fields.items():
        if value is not None:
            setattr(ami, name, value)


class NoDocker(DockerEngine):
    """The sandbox's engine when none answered at start: each Docker command gets one line saying why."""

    def client(self) -> Any:
        where = self.settings.docker_host or DEFAULT_SOCKET
        raise DockerError(
            f"Docker is not available in this sandbox: no engine answered at `{where}`. "
            "Set DOCKER_HOST to a running engine (or start dockerd) and start the sandbox again; "
            "the AMI commands, jobs, audit and ask work without it.",
            "unavailable",
        )


def docker_host(settings: Settings) -> str | None:
    """Where the engine answered a ping within a second, or None when none did."""
    try:
        import docker

        base_url = settings.docker_host or DEFAULT_SOCKET
        client = docker.DockerClient(base_url=base_url, timeout=DOCKER_PROBE_SECONDS)
        try:
            client.ping()
        finally:
            client.close()
    except Exception:  # any failure means "no engine": the banner says so
        log.info("sandbox: no Docker engine answered", exc_info=True)
        return None
    return base_url


@dataclass
class Sandbox:
    """The running sandbox: settings and services wired to moto and fakeredis, and what is real."""

    settings: Settings
    services: Services
    aws: SandboxAws
    docker_at: str | None

    def parts(self) -> tuple[tuple[str, Mrkdwn], ...]:
        """What each part is, for the banner."""
        docker = md("at {}", self.docker_at) if self.docker_at else md("not available (set DOCKER_HOST)")
        return (
            ("AWS", md("moto, in process (a demo estate with fixed ids: try `ami copies {}`)", TOUR_AMI)),
            ("Redis", md("in memory")),
            ("Docker", docker),
        )

    def stop(self) -> None:
        self.aws.stop()


def build_sandbox() -> Sandbox:
    """Start moto, seed the estate, find Docker, and return the sandbox wired to them."""
    aws = SandboxAws()
    settings = sandbox_settings(aws.endpoint_url)
    services = Services(settings, redis_client=fakeredis.FakeRedis())
    make_regions(services)
    aws.seed_ids()
    seed_estate(services)
    found = docker_host(settings)
    if found is None:
        services.docker = NoDocker(settings)
    start_inprocess_worker(settings, services)  # jobs run in this process: the demo needs no worker
    return Sandbox(settings, services, aws, found)
