"""`/image ami copies` over 20 regions with 100 ms added to every AWS call, against a sequential loop.

moto's server runs in this process behind a small HTTP proxy that sleeps
100 ms before forwarding each request (AWS_ENDPOINT_URL points at the proxy).
The same look-up is timed twice in the same run: through `/image ami copies`
(concurrent, bounded pool) and one region after another. Prints the median
wall times, one call's latency, and the ratios (targets: concurrent at most
2.5 times one call; sequential/concurrent at least 8). The enabled-region
list is cached (bot.aws.clients.REGIONS_TTL), so a warm look-up is one round of calls;
the figure with that cache missed (two rounds) is printed too.

    .venv/bin/python -m bench.copies [RUNS]
"""

from __future__ import annotations

import logging
import os
import statistics
import sys
import time

from bot.aws.copies import group_copies
from bot.aws.images import describe_image, list_owned
from bot.aws.regions import enabled_regions
from bot.core.config import load_settings
from bot.dispatch.run import dispatch
from bot.framework.context import Context
from bot.services import Services
from tests.support.slow_aws import SlowProxy

DELAY = 0.1


def seed(services: Services) -> str:
    """A source AMI in us-east-1 with copies in three regions and a copy of a copy."""
    ec2 = services.ec2("us-east-1")
    base = ec2.register_image(Name="bench-base")["ImageId"]
    instance = ec2.run_instances(ImageId=base, MinCount=1, MaxCount=1, InstanceType="t3.micro")
    source = ec2.create_image(InstanceId=instance["Instances"][0]["InstanceId"], Name="bench-web")["ImageId"]
    previous = (source, "us-east-1")
    for region in ("eu-west-1", "us-west-2", "ap-southeast-2"):
        copy = services.ec2(region).copy_image(SourceImageId=previous[0], SourceRegion=previous[1], Name="bench-web")
        _link(region, copy["ImageId"], *previous)
        previous = (copy["ImageId"], region)
    return str(source)


def _link(region: str, ami_id: str, source_id: str, source_region: str) -> None:
    from moto.ec2.models import ec2_backends

    ami = ec2_backends["123456789012"][region].amis[ami_id]
    ami.source_image_id, ami.source_image_region, ami.lld = source_id, source_region, ""


def sequential(services: Services, ami_id: str) -> int:
    """The same look-up, one call after another."""
    source = describe_image(services.aws, "us-east-1", ami_id)
    assert source is not None
    images = [source]
    for region in enabled_regions(services.aws):
        images += list_owned(services.aws, region)
    return sum(len(c) for c in group_copies(source, images).values())


def timed(fn: object, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    os.environ.update(AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", MOTO_EC2_LOAD_DEFAULT_AMIS="false")
    os.environ.pop("AWS_PROFILE", None)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    from moto.server import ThreadedMotoServer

    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto.start()
    host, port = moto.get_host_and_port()
    moto_url = f"http://{host}:{port}"
    source = seed(Services(load_settings(AWS_ENDPOINT_URL=moto_url)))
    proxy = SlowProxy(moto_url, DELAY)
    settings = load_settings(AWS_ENDPOINT_URL=proxy.url, IMAGEBOT_DEFAULT_REGION="us-east-1")
    services = Services(settings)
    ctx = Context(settings, services)

    def concurrent() -> None:
        reply = dispatch(ctx, f"/image ami copies {source}")
        assert reply.ok and len(reply.data["copies"]) == 4, reply.text  # type: ignore[index]

    regions = enabled_regions(services.aws)
    concurrent()
    sequential(services, source)  # warm up: every region's client exists before timing
    one = statistics.median(timed(lambda: services.ec2("us-east-1").describe_regions(), runs))
    conc = statistics.median(timed(concurrent, runs))
    seq = statistics.median(timed(lambda: sequential(services, source), max(1, runs // 2)))

    def cold() -> None:
        services.aws.regions.clear()  # the enabled-region list is cached (REGIONS_TTL); time a miss too
        concurrent()

    miss = statistics.median(timed(cold, runs))
    pool = settings.aws_concurrency
    print(f"regions={len(regions)}  added latency per AWS call={DELAY * 1000:.0f} ms  runs={runs}  pool={pool}")
    print(f"one AWS call through the proxy     {one * 1000:8.1f} ms")
    print(f"/image ami copies (concurrent)     {conc * 1000:8.1f} ms  = {conc / one:.2f} x one call  (target <= 2.5)")
    print(f"  with the region list not cached  {miss * 1000:8.1f} ms  = {miss / one:.2f} x one call (two rounds)")
    print(f"same look-up, one region at a time {seq * 1000:8.1f} ms")
    print(f"ratio sequential/concurrent = {seq / conc:.1f}  (target >= 8)")
    proxy.stop()
    moto.stop()


if __name__ == "__main__":
    main()
