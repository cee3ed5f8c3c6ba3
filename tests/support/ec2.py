"""Seeding AMIs in moto's server for the AMI tests (create_image, copy_image, backend fields)."""

from __future__ import annotations

from typing import Any

from bot.services import Services

ACCOUNT = "123456789012"


def create_ami(services: Services, region: str, name: str, tags: dict[str, str] | None = None) -> str:
    """A real AMI made with run_instances + create_image in `region`."""
    ec2 = services.ec2(region)
    base = ec2.register_image(Name="seed-base")["ImageId"]  # the tests turn moto's default AMIs off
    instance = ec2.run_instances(ImageId=base, MinCount=1, MaxCount=1, InstanceType="t3.micro")
    spec = [{"ResourceType": "image", "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}] if tags else []
    ami = ec2.create_image(InstanceId=instance["Instances"][0]["InstanceId"], Name=name, TagSpecifications=spec)
    ec2.deregister_image(ImageId=base)
    set_fields(region, ami["ImageId"], platform_details="Linux/UNIX", architecture="x86_64", lld="")
    return str(ami["ImageId"])


def copy_ami(
    services: Services, source_id: str, source_region: str, region: str, name: str, *, linked: bool = True
) -> str:
    """copy_image into `region`; `linked` sets SourceImageId/SourceImageRegion as real EC2 does."""
    ami_id = str(
        services.ec2(region).copy_image(SourceImageId=source_id, SourceRegion=source_region, Name=name)["ImageId"]
    )
    fields: dict[str, Any] = {"platform_details": "Linux/UNIX", "lld": ""}
    if linked:
        fields.update(source_image_id=source_id, source_image_region=source_region)
    set_fields(region, ami_id, **fields)
    return ami_id


def set_fields(region: str, ami_id: str, **fields: Any) -> None:
    """Fields real EC2 returns that moto's API cannot set (moto's server runs in this process)."""
    from moto.ec2.models import ec2_backends

    ami = ec2_backends[ACCOUNT][region].amis[ami_id]
    for name, value in fields.items():
        setattr(ami, name, value)
