"""`imagebot worker` as a process: probes and fleet metrics on IMAGEBOT_HEALTH_PORT."""

import time
import urllib.request

import tests.support.jobkinds  # noqa: F401  (the test.steps job kind)
from bot.framework.starting import submit
from tests.conftest import free_port


def get(port: int, path: str) -> tuple[int, str]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as response:
        return response.status, response.read().decode()


def test_a_worker_answers_probes_and_counts_the_jobs_it_ends(ctx, services, start_worker):
    port = free_port()
    start_worker(IMAGEBOT_HEALTH_PORT=str(port))
    assert get(port, "/healthz")[0] == 200 and get(port, "/readyz")[0] == 200
    record, _ = submit(ctx, "test.steps", {"steps": 1, "sleep": 0}, "counted")
    deadline = time.monotonic() + 30
    while (r := services.jobs.get(record.id)) is None or not r.done:
        assert time.monotonic() < deadline, "the job did not end"
        time.sleep(0.05)
    _, metrics = get(port, "/metrics")
    assert 'imagebot_jobs_ended_total{kind="test.steps",status="succeeded"} 1.0' in metrics
    assert 'imagebot_queue_jobs{state="started"}' in metrics
