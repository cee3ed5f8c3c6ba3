"""How long the bot's pull takes against the `docker` CLI pulling the same image.

Starts its own dockerd and docker-registry (the tests' helper, so root and
Debian's docker.io and docker-registry are needed), builds an image of random,
incompressible data in several layers (`--mb`, at least 200 MB), pushes it to
the private registry, then pulls it alternately through the bot (`/image
pull` dispatched as a user, run as a job by an in-process worker with
progress written to the job record; timed from the command to the job's
final state) and with `docker -H unix://… pull`, removing every local layer
before each pull.
Prints the wall times and the ratio of the medians (target: bot/CLI <= 1.10).

    .venv/bin/python -m bench.pull [--runs 3] [--mb 220] [--layers 5]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time

from tests.support.docker_services import (
    NAMESPACE,
    DockerStack,
    ServiceUnavailable,
    build_layers,
    import_image,
    push,
    start_stack,
)

TARGET = 1.10


def build_big_image(stack: DockerStack, megabytes: int, layers: int) -> str:
    """Base imported from a tarball, then `layers` COPY layers of random bytes; pushed; the reference."""
    client = stack.client(timeout=600)
    base = f"{stack.registry}/{NAMESPACE}/bench-base:1.0"
    ref = f"{stack.registry}/{NAMESPACE}/bench-big:1.0"
    import_image(client, base, {"etc/imagebot": b"bench\n"})
    size = megabytes * 1_000_000 // layers
    build_layers(client, ref, base, [os.urandom(size) for _ in range(layers)], ['CMD ["/bin/true"]'])
    push(client, ref)
    client.close()
    stack.remove_local(base, ref)
    return ref


class BotPuller:
    """The bot as a user meets it: `/image pull` -> job -> worker -> engine, on an in-memory Redis."""

    def __init__(self, stack: DockerStack) -> None:
        import fakeredis

        from bot.access.policy import Policy
        from bot.core.config import load_settings
        from bot.framework.context import Context
        from bot.services import Services
        from bot.worker.process import start_inprocess_worker

        policy = Policy.model_validate({
            "roles": {"puller": {"permissions": ["pull"]}},
            "grants": {"users": {"U0BENCH": ["puller"]}},
            "guardrails": {"pull": {"images": ["*"]}},
        })  # fmt: skip
        settings = load_settings(DOCKER_HOST=stack.host, IMAGEBOT_LOG_LEVEL="WARNING")
        self.services = Services(settings, redis_client=fakeredis.FakeRedis(), policy=policy)
        self.ctx = Context(settings, self.services, user_id="U0BENCH", channel_id="C0BENCH", transport="shell")
        start_inprocess_worker(settings, self.services)

    def pull(self, ref: str) -> float:
        from bot.dispatch.run import dispatch
        from bot.jobs.record import SUCCEEDED
        from bot.jobs.store import JobStore

        store = JobStore(self.services.redis, self.ctx.settings)
        start = time.perf_counter()
        reply = dispatch(self.ctx, f"/image pull {ref}")
        assert reply.job_id, reply.text
        while not ((record := store.get(reply.job_id)) and record.done):
            time.sleep(0.02)
        elapsed = time.perf_counter() - start
        assert record.status == SUCCEEDED, record.error
        assert "up to date" not in record.summary, "the bot's pull downloaded nothing"
        return elapsed


def pull_with_cli(stack: DockerStack, ref: str, cli: str) -> float:
    env = {**os.environ, "DOCKER_CONFIG": str(stack.workdir / "cli-config")}
    start = time.perf_counter()
    subprocess.run([cli, "-H", stack.host, "pull", ref], check=True, stdout=subprocess.DEVNULL, env=env)
    return time.perf_counter() - start


def measure(stack: DockerStack, ref: str, cli: str, runs: int) -> dict[str, list[float]]:
    """Alternate bot and CLI pulls (each from an empty engine) so drift hits both alike."""
    times: dict[str, list[float]] = {"docker CLI": [], "imagebot": []}
    bot = BotPuller(stack)
    for run in range(runs):
        order = ("docker CLI", "imagebot") if run % 2 == 0 else ("imagebot", "docker CLI")
        for name in order:
            stack.remove_local(ref)
            elapsed = pull_with_cli(stack, ref, cli) if name == "docker CLI" else bot.pull(ref)
            times[name].append(elapsed)
            print(f"  run {run + 1}: {name:10s} {elapsed:6.2f} s", flush=True)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--mb", type=int, default=220)
    parser.add_argument("--layers", type=int, default=5)
    options = parser.parse_args()
    cli = shutil.which("docker")
    if cli is None:
        sys.exit("bench.pull: the docker CLI is missing (apt-get install docker.io)")
    try:
        stack = start_stack(prefix="imagebot-bench-")
    except ServiceUnavailable as exc:
        sys.exit(f"bench.pull: {exc}")
    try:
        start = time.perf_counter()
        ref = build_big_image(stack, options.mb, options.layers)
        print(f"built and pushed {ref}: {options.mb} MB in {options.layers} layers + base "
              f"({time.perf_counter() - start:.1f} s)")  # fmt: skip
        times = measure(stack, ref, cli, options.runs)
    finally:
        stack.stop()
    medians = {name: statistics.median(values) for name, values in times.items()}
    for name, values in times.items():
        print(f"{name:10s} runs={len(values)}  median={medians[name]:.2f} s  min={min(values):.2f} s")
    ratio = medians["imagebot"] / medians["docker CLI"]
    print(f"ratio median imagebot/docker CLI = {ratio:.3f}  (target <= {TARGET:.2f})")


if __name__ == "__main__":
    main()
