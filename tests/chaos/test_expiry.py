"""A worker SIGKILLed in the middle of an expiry sweep, holding the sweep's lock: the lock runs out, the next sweep
acts once."""

from __future__ import annotations

import os
import signal

from handlers.expiry import LOCK_KEY, sweep
from tests.chaos.conftest import wait_until
from tests.support.ec2 import create_ami
from tests.support.expiry import dms, expiry_services, launcher, set_expires, sweeper
from tests.support.instances import launched_by
from tests.support.slow_aws import SlowProxy

LOCK_SECONDS = 3


def test_a_sweep_killed_holding_the_lock_blocks_sweeps_only_until_it_runs_out(
    settings, tmp_path, slack_api, start_worker, aws_url, chaos
):
    services = expiry_services(settings, tmp_path)
    ops = launcher(services)
    instance = launched_by(ops, create_ami(services, "us-east-1", "web-base-1"), ttl=8 * 3600)
    set_expires(ops, instance, "2020-01-01T00:00:00Z")
    proxy = SlowProxy(aws_url, delay=0)
    proxy.fault, proxy.hang_seconds = "hang", 30  # the worker's sweep hangs on AWS, holding the lock
    try:
        worker = start_worker(
            AWS_ENDPOINT_URL=proxy.url,
            IMAGEBOT_POLICY_FILE=str(tmp_path / "policy-stop.yml"),
            IMAGEBOT_EXPIRY_SWEEP_SECONDS="1",
            IMAGEBOT_EXPIRY_LOCK_SECONDS=str(LOCK_SECONDS),
        )
        holder = wait_until(lambda: services.redis.get(LOCK_KEY), timeout=30, what="a sweep holding the lock").decode()
        os.kill(int(holder.split(":")[1]), signal.SIGKILL)  # the work horse running the sweep (host:pid:token)
        os.kill(worker.proc.pid, signal.SIGKILL)
        worker.proc.wait(5)
        killed_at = chaos.clock()
        assert services.redis.ttl(LOCK_KEY) > 0  # held by a dead process, but not for ever
        blocked = sweep(sweeper(ops))
        assert not blocked.ran and dms(slack_api) == []
        wait_until(lambda: not services.redis.exists(LOCK_KEY), timeout=LOCK_SECONDS + 5, what="the lock to run out")
        report = sweep(sweeper(ops))
        recovered = chaos.clock() - killed_at
        assert report.ran and report.acted == [f"{instance} stop"]
        assert sweep(sweeper(ops)).acted == []  # acted once
        (told,) = dms(slack_api)
        assert "being *stopped*" in told["text"]
    finally:
        proxy.fault = None
        proxy.stop()
        services.close()
    chaos.record(
        "worker SIGKILLed mid expiry sweep, holding its lock", "lock ran out; next sweep stopped it once", recovered
    )
