"""Jobs: RQ on Redis. The worker runs the queue named `imagebot`."""

from __future__ import annotations

from rq import Queue, Worker

from bot.config import Settings
from bot.services import Services

QUEUE = "imagebot"


def run_worker(settings: Settings, services: Services) -> int:
    """Run an RQ worker on the imagebot queue until it is stopped."""
    worker = Worker([Queue(QUEUE, connection=services.redis)], connection=services.redis)
    worker.work(with_scheduler=True)
    return 0
