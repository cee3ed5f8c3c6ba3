"""Worker processes: `imagebot worker` (RQ forks a work horse per job) and the sandbox's in-process worker."""

from __future__ import annotations

import importlib
import logging
import threading
from typing import Any

from rq import Queue, SimpleWorker, Worker
from rq.scheduler import RQScheduler
from rq.timeouts import TimerDeathPenalty

import bot.dispatch.registry  # noqa: F401  (imports every handler module, which registers its job kinds)
from bot.core.config import Settings
from bot.health import Health, serve_health
from bot.jobs.queue import QUEUE
from bot.services import Services
from bot.worker.execute import on_horse_killed
from bot.worker.reaper import Reaper
from bot.worker.runtime import Runtime, bound, configure

QUIET_LOG = logging.getLogger("imagebot.sandbox.worker")
QUIET_LOG.setLevel(logging.WARNING)


def import_job_modules(settings: Settings) -> None:
    """Import the extra modules that register job kinds (IMAGEBOT_JOB_MODULES; the handlers are imported)."""
    for name in (m.strip() for m in settings.job_modules.split(",")):
        if name:
            importlib.import_module(name)


def run_worker(settings: Settings, services: Services) -> int:
    """Run an RQ worker on the imagebot queue until it is stopped (SIGTERM/Ctrl-C)."""
    rt = configure(settings, services)
    import_job_modules(settings)
    health = serve_health(settings, Health(settings, services))
    reaper = Reaper(rt)
    reaper.start()
    worker = Worker(
        [Queue(QUEUE, connection=services.redis)],
        connection=services.redis,
        job_monitoring_interval=max(1, round(settings.job_heartbeat_seconds)),  # renews each running job's lease
        work_horse_killed_handler=on_horse_killed,
    )
    worker.work(with_scheduler=True)  # SIGTERM: RQ's warm shutdown finishes the job at hand, then returns
    reaper.stopped.set()
    if health is not None:
        health.close()
    return 0


class ThreadWorker(SimpleWorker):
    """An RQ worker for a thread: jobs run in-process, timeouts by timer, no signal handlers."""

    death_penalty_class = TimerDeathPenalty

    def __init__(self, rt: Runtime, queues: list[Queue]) -> None:
        super().__init__(queues, connection=rt.services.redis)
        self.rt = rt
        self.log = QUIET_LOG  # the sandbox shell shares the terminal: only warnings

    def work(self, *args: Any, **kwargs: Any) -> bool:
        with bound(self.rt):
            return bool(super().work(*args, **kwargs))

    def _install_signal_handlers(self) -> None:
        pass


def start_inprocess_worker(settings: Settings, services: Services) -> threading.Thread:
    """The sandbox's worker: a thread on the same (in-memory) connection, with reaper and retries."""
    rt = Runtime(settings, services)
    import_job_modules(settings)
    for name in ("rq.worker", "rq.job"):  # keep RQ from adding its own stdout handlers
        logging.getLogger(name).addHandler(logging.NullHandler())
    queue = Queue(QUEUE, connection=services.redis)
    scheduler = RQScheduler([queue], connection=services.redis)
    scheduler.prepare_registries([QUEUE])  # no scheduler process here: due retries are moved by the reaper thread
    Reaper(rt, interval=1.0, also=(scheduler.enqueue_scheduled_jobs,)).start()
    worker = ThreadWorker(rt, [queue])
    thread = threading.Thread(target=worker.work, name="imagebot-worker", daemon=True)
    thread.start()
    return thread
