"""Periodic jobs run by the event worker: each app registers a function with an interval (in its
``AppConfig.ready`` or its handlers module); every worker loop calls ``run_due()``, which runs the
jobs whose interval has passed in this process.

Not a scheduler of its own and not a cron outside the project: a job runs wherever workers run,
in as many processes as there are workers. So a job must be safe to run concurrently and
repeatedly: it decides what to do with conditional UPDATEs, never by trusting that it runs alone.
``market`` imports no app; apps import this module.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

logger = logging.getLogger(__name__)


@dataclass
class Job:
    id: str
    interval: float | Callable[[], float]  # seconds, or a callable read at each check (settings)
    function: Callable[[], object]
    last_run: float | None = field(default=None)

    def seconds(self) -> float:
        return float(self.interval() if callable(self.interval) else self.interval)


_jobs: dict[str, Job] = {}
# One thread of a worker process runs a given job at a time; the others go on with deliveries.
_lock = threading.Lock()


def register(id: str, *, every: float | Callable[[], float]) -> Callable[[Callable[[], object]], Callable[[], object]]:
    """``@periodic.register("reservation.expire_holds", every=5)`` over a function of no argument."""

    def decorator(function: Callable[[], object]) -> Callable[[], object]:
        known = _jobs.get(id)
        if known is not None and known.function is not function:
            raise ValueError(f"periodic job {id!r} is registered twice")
        _jobs.setdefault(id, Job(id=id, interval=every, function=function))
        return function

    return decorator


def jobs() -> dict[str, Job]:
    return dict(_jobs)


def run_due(*, clock: Callable[[], float] = time.monotonic, force: bool = False) -> list[str]:
    """Run every job whose interval has passed since its last run in this process (all of them the
    first time, or with ``force``). A failing job is logged and tried again at its next interval;
    it never stops the worker. Returns the ids of the jobs that ran."""
    if not _lock.acquire(blocking=False):
        return []  # another thread of this process is running jobs right now
    ran = []
    try:
        for job in list(_jobs.values()):
            now = clock()
            if not force and job.last_run is not None and now - job.last_run < job.seconds():
                continue
            job.last_run = now
            try:
                job.function()
            except Exception:
                logger.exception("periodic job %s failed; it runs again in %.1fs", job.id, job.seconds())
            ran.append(job.id)
    finally:
        _lock.release()
    return ran
