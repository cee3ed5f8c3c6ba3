"""The expiry sweep on real `imagebot worker` processes: RQ's scheduler runs one chain, however many workers."""

import json
import time

from rq import Queue
from rq.registry import ScheduledJobRegistry

from bot.jobs.queue import QUEUE
from bot.worker.runtime import Runtime
from bot.worker.sweep import CHAIN_KEY, ensure_chain
from handlers.expiry import LAST_KEY
from tests.chaos.conftest import wait_until
from tests.support.ec2 import create_ami
from tests.support.expiry import dms, expiry_services, launcher, set_expires
from tests.support.instances import launched_by


def pending_sweeps(redis_client) -> list[str]:
    """Sweep jobs waiting to run: scheduled by RQ, or on the queue."""
    queue = Queue(QUEUE, connection=redis_client)
    waiting = ScheduledJobRegistry(queue=queue).get_job_ids() + queue.get_job_ids()
    return [j for j in waiting if j.startswith("expiry-sweep-")]


def test_two_workers_keep_one_chain_of_sweeps_and_an_expired_instance_is_stopped_once(
    settings, tmp_path, slack_api, start_worker
):
    services = expiry_services(settings, tmp_path)
    ops = launcher(services)
    instance = launched_by(ops, create_ami(services, "us-east-1", "web-base-1"), ttl=8 * 3600)
    set_expires(ops, instance, "2020-01-01T00:00:00Z")  # expired while no worker ran
    env = {"IMAGEBOT_POLICY_FILE": str(tmp_path / "policy-stop.yml"), "IMAGEBOT_EXPIRY_SWEEP_SECONDS": "1"}
    start_worker(**env)
    start_worker(**env)
    redis_client = services.redis

    def state():
        found = services.ec2("us-east-1").describe_instances(InstanceIds=[instance])["Reservations"]
        return found[0]["Instances"][0]["State"]["Name"]

    wait_until(lambda: state() == "stopped", timeout=30, what="the expired instance stopped by a sweep")
    chain, most = set(), 0
    deadline = time.monotonic() + 30
    while len(chain) < 4:  # several sweeps, each handing the chain to the next
        assert time.monotonic() < deadline, f"the chain did not go on: {chain}"
        chain.add(redis_client.get(CHAIN_KEY))
        most = max(most, len(pending_sweeps(redis_client)))
        time.sleep(0.1)
    assert most == 1  # never two sweeps waiting: one chain
    assert ensure_chain(Runtime(settings, services)) is None  # a third worker starting joins the running chain
    assert json.loads(redis_client.get(LAST_KEY))["acted"] == []  # the later sweeps found nothing more to do
    (told,) = dms(slack_api)  # stopped once, said once
    assert instance in told["text"] and "being *stopped*" in told["text"]
    services.close()
