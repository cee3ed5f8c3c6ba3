"""Job latency: enqueue-to-start with a warm worker, and `/image jobs` over 1,000 records.

Starts its own redis-server on a free port and a real `imagebot worker`
subprocess (which imports this module for the no-op job kind), submits
no-op jobs one at a time and measures submit() to the worker marking the job
running. Then writes 1,000 job records and times `/image jobs`.
Targets: enqueue-to-start p50 < 50 ms; `/image jobs` < 20 ms.

    .venv/bin/python -m bench.jobs [N]
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import redis
from rq import Queue, Worker

from bench.services import start_redis, stop_redis
from bot.core.config import load_settings
from bot.dispatch.run import dispatch
from bot.framework.context import Context
from bot.framework.job_kind import job_kind
from bot.framework.starting import submit
from bot.jobs.progress import Progress
from bot.jobs.queue import QUEUE
from bot.jobs.record import JobRecord, JobResult
from bot.jobs.store import JobStore
from bot.services import Services

REPO = Path(__file__).resolve().parent.parent


@job_kind("bench.noop", timeout=30)
def run_noop(ctx: Context, progress: Progress, args: dict[str, Any]) -> JobResult:
    return JobResult("nothing done, quickly")


def start_worker(url: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "REDIS_URL": url,
        "PYTHONPATH": str(REPO),
        "IMAGEBOT_JOB_MODULES": "bench.jobs",
        "IMAGEBOT_LOG_LEVEL": "WARNING",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "worker"],
        env=env,
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    queue = Queue(QUEUE, connection=redis.Redis.from_url(url))
    while Worker.count(queue=queue) == 0:
        time.sleep(0.05)
    return proc


def enqueue_to_start(ctx: Context, store: JobStore, n: int) -> list[float]:
    """Milliseconds from calling submit() to the worker marking the job running."""
    times = []
    for i in range(n):
        start = time.time()
        record, _ = submit(ctx, "bench.noop", {"i": i, "run": start}, "no-op")
        while (done := store.get(record.id)) is None or not done.done:
            time.sleep(0.001)
        times.append((done.started_at - start) * 1000)
    return times


def fill(store: JobStore, n: int) -> None:
    now = time.time()
    for i in range(n):
        user = "U_BENCH" if i % 2 else "U_OTHER"
        store.create(
            JobRecord(
                id=f"b{i:04x}",
                kind="pull",
                args={"image": f"app:{i}"},
                target=f"pulling app:{i}",
                user_id=user,
                status="succeeded",
                fraction=1.0,
                created_at=now - n + i,
            )
        )


def time_command(ctx: Context, text: str, n: int = 200) -> list[float]:
    times = []
    for _ in range(n):
        start = time.perf_counter()
        reply = dispatch(ctx, text)
        times.append((time.perf_counter() - start) * 1000)
        assert reply.ok, reply.text
    return times


def pct(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100)[q - 1]


def report(name: str, values: list[float], target: float) -> None:
    p50, p99 = pct(values, 50), pct(values, 99)
    verdict = "ok" if p50 < target else "MISSED"
    print(f"{name:34s} n={len(values)}  p50={p50:7.2f} ms  p99={p99:7.2f} ms  (target p50 < {target:g} ms: {verdict})")


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    redis_proc, url, workdir = start_redis("bench.jobs")
    worker = start_worker(url)
    try:
        settings = load_settings(REDIS_URL=url)
        services = Services(settings)
        store = JobStore(services.redis, settings)
        ctx = Context(settings, services, user_id="U_BENCH", transport="shell")
        enqueue_to_start(ctx, store, 20)  # warm the worker
        report("enqueue-to-start (warm worker)", enqueue_to_start(ctx, store, n), 50)
        services.redis.flushdb()
        fill(store, 1000)
        report("/image jobs (1,000 records)", time_command(ctx, "/image jobs"), 20)
        report("/image jobs --all --limit 50", time_command(ctx, "/image jobs --all --limit 50"), 20)
    finally:
        worker.terminate()
        worker.wait(10)
        stop_redis(redis_proc, workdir)


if __name__ == "__main__":
    main()
