"""The worker's background loops (reaper, progress monitor) log a fault and carry on, as RQ's worker loop does."""

import logging
import subprocess
import sys
import time

from bot.jobs.record import RUNNING, JobRecord
from bot.services import Services
from bot.worker.monitor import Monitor
from bot.worker.reaper import Reaper
from bot.worker.runtime import Runtime
from tests.conftest import free_port


def wait_until(check, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    raise AssertionError("timed out")


def test_a_failing_reaper_task_is_logged_and_the_next_one_still_runs(settings, services, caplog):
    ran = []

    def broken() -> None:
        raise RuntimeError("the disk is on fire")

    reaper = Reaper(Runtime(settings, services), interval=60, also=(broken, lambda: ran.append("next")))
    with caplog.at_level(logging.ERROR):
        reaper.tick()
        reaper.tick()
    assert ran == ["next", "next"]
    assert sum("reaper task failed" in r.getMessage() for r in caplog.records) == 2


def test_a_reaper_whose_redis_is_down_keeps_its_thread(settings, caplog):
    down = settings.model_copy(update={"redis_url": f"redis://127.0.0.1:{free_port()}/0"})
    reaper = Reaper(Runtime(down, Services(down)), interval=0.05)
    with caplog.at_level(logging.ERROR):
        reaper.start()
        wait_until(lambda: sum("reaper task failed" in r.getMessage() for r in caplog.records) >= 2)
    assert reaper.is_alive()
    reaper.stopped.set()


class FlakyNotifier:
    """Fails its first progress push, records the rest."""

    def __init__(self) -> None:
        self.pushed: list[str] = []

    def progressed(self, store, record):
        if not self.pushed:
            self.pushed.append("failed")
            raise OSError("Slack went away")
        self.pushed.append(record.stage)


def test_a_monitor_whose_push_fails_keeps_pushing(settings, services, caplog):
    store = services.jobs
    record = JobRecord(id="f00d", kind="test.steps", args={}, target="t", user_id="U0", status=RUNNING, stage="one")
    store.create(record)
    services.notifier = FlakyNotifier()
    monitor = Monitor(Runtime(settings, services), record)
    with caplog.at_level(logging.ERROR):
        monitor.start()
        wait_until(lambda: services.notifier.pushed == ["failed"])
        store.set_fields("f00d", stage="two")
        monitor.poke()
        wait_until(lambda: "two" in services.notifier.pushed)
    monitor.stop()
    assert any("could not push progress" in r.getMessage() for r in caplog.records)


def test_a_worker_process_never_loads_slack_bolt():
    code = "import sys, bot.worker.process, bot.slack.notifier; print('slack_bolt' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout == "False\n"


class RecordingNotifier:
    def __init__(self) -> None:
        self.pushed: list[str] = []

    def progressed(self, store, record):
        self.pushed.append(record.stage)


def test_progress_reaches_slack_at_most_once_a_second_by_the_monitors_own_clock(settings, services):
    """The throttle is judged on the clock the monitor decides by, not on when Slack's stand-in
    happened to receive the calls (a busy machine compresses those gaps)."""
    store = services.jobs
    record = JobRecord(id="c10c", kind="test.steps", args={}, target="t", user_id="U0", status=RUNNING, stage="0")
    store.create(record)
    services.notifier = RecordingNotifier()
    now = [100.0]
    monitor = Monitor(Runtime(settings, services), record, clock=lambda: now[0])
    pushed = []
    for tick in range(1, 21):  # 2.5 s of progress moving every 1/8 s (exact in binary)
        store.set_fields("c10c", stage=str(tick))
        monitor.poke()
        if monitor.push_if_due():
            pushed.append(now[0])
        now[0] += 0.125
    assert services.notifier.pushed == ["1", "9", "17"]  # the first at once, then one a second
    assert pushed == [100.0, 101.0, 102.0]
    now[0] += 5
    assert monitor.push_if_due() and services.notifier.pushed[-1] == "20", "the last progress still goes out"
    now[0] += 5
    assert not monitor.push_if_due(), "nothing moved since the last push: nothing is sent"
