"""What a running job is handed: report progress (0..1 and a stage line), and notice a cancel."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from bot.jobs.errors import JobCanceled
from bot.jobs.record import JobRecord
from bot.jobs.store import STORE_ERRORS, JobStore, job_key

log = logging.getLogger(__name__)


class Progress:
    """Writes the job's progress to its record; raises JobCanceled once a cancel was asked for."""

    def __init__(self, store: JobStore, record: JobRecord, on_change: Callable[[], None] = lambda: None) -> None:
        self.store = store
        self.record = record
        self.settings = store.settings
        self.job_id = record.id
        self._on_change = on_change

    def update(self, fraction: float, stage: str) -> None:
        """Record progress (0..1) and a one-line stage; raises JobCanceled after a cancel."""
        fraction = min(1.0, max(0.0, fraction))
        values = {"fraction": str(fraction), "stage": stage[:200], "updated_at": str(time.time())}
        try:
            with self.store.redis.pipeline() as pipe:
                pipe.hset(job_key(self.job_id), mapping=values)
                pipe.hget(job_key(self.job_id), "cancel_requested_by")
                canceled_by = pipe.execute()[-1]
        except STORE_ERRORS as exc:  # progress is shown when it can be: a Redis blip never stops the work
            log.warning("progress not recorded: Redis does not answer", extra={"job": self.job_id, "error": str(exc)})
            return
        self._on_change()
        if canceled_by:
            raise JobCanceled(canceled_by.decode())
