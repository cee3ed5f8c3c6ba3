"""What still uses an AMI in a region: instances, launch template versions, and Auto Scaling groups.

An Auto Scaling group uses the AMI through its launch configuration, or
through the launch template version it names (`$Latest`, `$Default` or a
number; also inside a mixed instances policy), resolved against the
template versions read for the same answer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.aws.clients import AwsClients
from bot.aws.errors import aws_errors
from bot.aws.lifecycle import Instance, using_image


@dataclass(frozen=True)
class TemplateVersion:
    """One launch template version whose ImageId is the AMI."""

    template_id: str
    template_name: str
    version: int
    latest: bool
    default: bool


@dataclass(frozen=True)
class GroupUse:
    """An Auto Scaling group that launches the AMI, and through what."""

    name: str
    via: str  # "launch template web (lt-0abc) version $Latest (3)" or "launch configuration web-lc"
    instances: int
    desired: int


@dataclass
class RegionUsage:
    """Everything in one region that uses the AMI(s)."""

    region: str
    instances: list[Instance] = field(default_factory=list)
    templates: list[TemplateVersion] = field(default_factory=list)
    groups: list[GroupUse] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.instances or self.templates or self.groups)


@dataclass(frozen=True)
class _Template:
    id: str
    name: str
    default: int
    latest: int
    images: dict[int, str]  # version -> ImageId


def region_usage(clients: AwsClients, region: str, ami_ids: list[str]) -> RegionUsage:
    """Instances, launch template versions and Auto Scaling groups in `region` that use any of `ami_ids`."""
    usage = RegionUsage(region, instances=using_image(clients, region, ami_ids))
    templates = _templates(clients, region)
    wanted = set(ami_ids)
    for t in templates.values():
        usage.templates += [
            TemplateVersion(t.id, t.name, v, v == t.latest, v == t.default)
            for v, image in sorted(t.images.items())
            if image in wanted
        ]
    usage.groups = _groups(clients, region, wanted, templates)
    return usage


def _templates(clients: AwsClients, region: str) -> dict[str, _Template]:
    """Every launch template in the region with each version's ImageId (one call per template)."""
    ec2 = clients.ec2(region)
    out: dict[str, _Template] = {}
    with aws_errors(region):
        pages = ec2.get_paginator("describe_launch_templates").paginate()
        for data in (t for page in pages for t in page["LaunchTemplates"]):
            template_id = str(data["LaunchTemplateId"])
            versions = ec2.get_paginator("describe_launch_template_versions").paginate(LaunchTemplateId=template_id)
            images = {
                int(v["VersionNumber"]): str((v.get("LaunchTemplateData") or {}).get("ImageId") or "")
                for page in versions
                for v in page["LaunchTemplateVersions"]
            }
            out[template_id] = _Template(
                template_id,
                str(data.get("LaunchTemplateName") or ""),
                int(data.get("DefaultVersionNumber") or 1),
                int(data.get("LatestVersionNumber") or 1),
                images,
            )
    return out


def _groups(clients: AwsClients, region: str, wanted: set[str], templates: dict[str, _Template]) -> list[GroupUse]:
    autoscaling = clients.autoscaling(region)
    with aws_errors(region):
        pages = autoscaling.get_paginator("describe_auto_scaling_groups").paginate()
        groups = [g for page in pages for g in page["AutoScalingGroups"]]
        configs = _configurations(autoscaling) if any(g.get("LaunchConfigurationName") for g in groups) else {}
    by_name = {t.name: t for t in templates.values()}
    out = []
    for group in groups:
        via = _group_via(group, wanted, templates, by_name, configs)
        if via:
            out.append(
                GroupUse(
                    str(group["AutoScalingGroupName"]),
                    via,
                    len(group.get("Instances") or []),
                    int(group.get("DesiredCapacity") or 0),
                )
            )
    return out


def _configurations(autoscaling: Any) -> dict[str, str]:
    pages = autoscaling.get_paginator("describe_launch_configurations").paginate()
    return {
        str(c["LaunchConfigurationName"]): str(c.get("ImageId") or "") for p in pages for c in p["LaunchConfigurations"]
    }


def _group_via(
    group: dict[str, Any],
    wanted: set[str],
    templates: dict[str, _Template],
    by_name: dict[str, _Template],
    configs: dict[str, str],
) -> str | None:
    """How the group launches one of the AMIs, or None when it does not."""
    config = group.get("LaunchConfigurationName")
    if config:
        return f"launch configuration {config}" if configs.get(str(config)) in wanted else None
    spec = group.get("LaunchTemplate") or (
        ((group.get("MixedInstancesPolicy") or {}).get("LaunchTemplate") or {}).get("LaunchTemplateSpecification")
    )
    if not spec:
        return None
    template = templates.get(str(spec.get("LaunchTemplateId") or "")) or by_name.get(
        str(spec.get("LaunchTemplateName") or "")
    )
    if template is None:
        return None
    asked = str(spec.get("Version") or "$Default")
    version = {"$Latest": template.latest, "$Default": template.default}.get(asked)
    if version is None:
        version = int(asked) if asked.isdigit() else 0
    if template.images.get(version) not in wanted:
        return None
    shown = asked if asked.isdigit() else f"{asked} ({version})"
    return f"launch template {template.name} ({template.id}) version {shown}"
