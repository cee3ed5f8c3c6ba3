"""`/image ami usage <name> --region all` over 20 regions with 100 ms added to every AWS call, as a ratio to one call.

moto's server runs in this process behind a small HTTP proxy that sleeps
100 ms before forwarding each request (AWS_ENDPOINT_URL points at the proxy).
The AMI has copies in three regions; one has an instance, one a launch
template with two versions, one a template used by an Auto Scaling group.
A region with the AMI costs calls one after another: images by name,
instances, launch templates, one per template for its versions, Auto Scaling
groups (and launch configurations when a group uses one); the busiest region
here makes 5, so about 5 times one call is the floor (a region without the
AMI makes 1). Prints the median wall times of the concurrent command and
of the same look-up one region after another, and their ratios to one call.

    .venv/bin/python -m bench.usage [RUNS]
"""

from __future__ import annotations

import logging
import os
import statistics
import sys

from bench.copies import DELAY, seed, timed
from bot.aws.images import find_by_name
from bot.aws.regions import enabled_regions
from bot.aws.usage import region_usage
from bot.core.config import load_settings
from bot.dispatch.run import dispatch
from bot.framework.context import Context
from bot.services import Services
from tests.support.slow_aws import SlowProxy

NAME = "bench-web"


def seed_usage(services: Services) -> None:
    """An instance in us-east-1, a launch template in eu-west-1, an Auto Scaling group in us-west-2."""
    source = seed(services)  # bench-web in us-east-1, copies in eu-west-1, us-west-2, ap-southeast-2
    services.ec2("us-east-1").run_instances(ImageId=source, MinCount=1, MaxCount=1)
    for region in ("eu-west-1", "us-west-2"):
        [image] = find_by_name(services.aws, region, NAME)
        ec2 = services.ec2(region)
        template = ec2.create_launch_template(LaunchTemplateName="web", LaunchTemplateData={"ImageId": image.id})
        template_id = template["LaunchTemplate"]["LaunchTemplateId"]
        ec2.create_launch_template_version(LaunchTemplateId=template_id, LaunchTemplateData={"ImageId": image.id})
    services.aws.autoscaling("us-west-2").create_auto_scaling_group(
        AutoScalingGroupName="web",
        LaunchTemplate={"LaunchTemplateName": "web", "Version": "$Default"},
        MinSize=0,
        MaxSize=1,
        DesiredCapacity=0,
        AvailabilityZones=["us-west-2a"],
    )


def sequential(services: Services) -> int:
    """The same look-up, one region after another."""
    found = 0
    for region in enabled_regions(services.aws):
        ids = [i.id for i in find_by_name(services.aws, region, NAME)]
        if ids:
            usage = region_usage(services.aws, region, ids)
            found += len(usage.instances) + len(usage.templates) + len(usage.groups)
    return found


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    os.environ.update(AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", MOTO_EC2_LOAD_DEFAULT_AMIS="false")
    os.environ.pop("AWS_PROFILE", None)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    from moto.server import ThreadedMotoServer

    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto.start()
    host, port = moto.get_host_and_port()
    seed_usage(Services(load_settings(AWS_ENDPOINT_URL=f"http://{host}:{port}")))
    proxy = SlowProxy(f"http://{host}:{port}", DELAY)
    settings = load_settings(AWS_ENDPOINT_URL=proxy.url, IMAGEBOT_DEFAULT_REGION="us-east-1")
    services = Services(settings)
    ctx = Context(settings, services)

    def concurrent() -> None:
        reply = dispatch(ctx, f"/image ami usage {NAME} --region all")
        assert reply.ok and len(reply.data["regions"]) == 3, reply.text  # type: ignore[index]

    regions = enabled_regions(services.aws)
    concurrent()
    # warm up, so every region's clients exist before timing: 1 instance, 4 template versions, 1 group
    assert sequential(services) == 6
    one = statistics.median(timed(lambda: services.ec2("us-east-1").describe_regions(), runs))
    home = statistics.median(timed(lambda: dispatch(ctx, f"/image ami usage {NAME}"), runs))
    conc = statistics.median(timed(concurrent, runs))
    seq = statistics.median(timed(lambda: sequential(services), max(1, runs // 2)))
    pool = settings.aws_concurrency
    print(f"regions={len(regions)}  added latency per AWS call={DELAY * 1000:.0f} ms  runs={runs}  pool={pool}")
    print(f"one AWS call through the proxy      {one * 1000:8.1f} ms")
    print(f"/image ami usage (one region)       {home * 1000:8.1f} ms  = {home / one:.2f} x one call")
    print(f"/image ami usage --region all       {conc * 1000:8.1f} ms  = {conc / one:.2f} x one call  (floor ~5)")
    print(f"same look-up, one region at a time  {seq * 1000:8.1f} ms  = {seq / one:.2f} x one call")
    print(f"ratio sequential/concurrent = {seq / conc:.1f}")
    proxy.stop()
    moto.stop()


if __name__ == "__main__":
    main()
