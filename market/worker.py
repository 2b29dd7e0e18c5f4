"""The event worker: claims due deliveries and runs them until told to stop."""

from __future__ import annotations

import logging
import signal
import time
from collections.abc import Callable

from django.conf import settings
from django.db import close_old_connections

from market import bus

logger = logging.getLogger(__name__)


class Worker:
    def __init__(self, *, batch: int | None = None, poll: float | None = None, owner: str | None = None) -> None:
        self.batch = batch or settings.EVENTS_WORKER_BATCH
        self.poll = settings.EVENTS_WORKER_POLL if poll is None else poll
        self.owner = owner or bus.worker_id()
        self.stopping = False

    def stop(self, *_args) -> None:
        if not self.stopping:
            logger.info("worker %s stopping after the delivery in hand", self.owner)
        self.stopping = True

    def run_once(self) -> int:
        """Claim one batch and run it. Returns how many deliveries were claimed."""
        ids = bus.claim(owner=self.owner, limit=self.batch)
        for delivery_id in ids:
            if self.stopping:
                break
            bus.run_delivery(delivery_id, owner=self.owner)
        if self.stopping:
            bus.release(self.owner)
        return len(ids)

    def run_forever(self, *, sleep: Callable[[float], None] = time.sleep) -> None:
        previous = {sig: signal.signal(sig, self.stop) for sig in (signal.SIGTERM, signal.SIGINT)}
        logger.info("worker %s started (batch %s, poll %.2fs)", self.owner, self.batch, self.poll)
        try:
            while not self.stopping:
                close_old_connections()  # recover by itself after a database outage
                try:
                    claimed = self.run_once()
                except Exception:
                    logger.exception("worker %s could not claim deliveries; retrying", self.owner)
                    claimed = 0
                    sleep(min(5.0, self.poll * 4))
                if not claimed and not self.stopping:
                    sleep(self.poll)
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            try:
                bus.release(self.owner)
            except Exception:
                logger.warning("worker %s could not release its leases; they expire by themselves", self.owner)
            logger.info("worker %s stopped", self.owner)
