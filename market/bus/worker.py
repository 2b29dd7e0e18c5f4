"""The event worker: claims due deliveries and runs them until told to stop.

A delivery is bound by round trips to the database, not by CPU, so one worker process may run
several threads (``EVENTS_WORKER_THREADS``), each with its own connection and owner id; the
claim's ``SKIP LOCKED`` and leases keep them apart exactly as they keep processes apart. That
pays off on PostgreSQL; SQLite lets one writer in at a time, so there threads add little.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
import time
from collections.abc import Callable, Iterator
from functools import partial

from django.conf import settings
from django.db import close_old_connections, connection
from django.db.backends.signals import connection_created
from django.dispatch import receiver

from market import heartbeat, periodic
from market.bus import claiming, delivering, operations, scheduling

logger = logging.getLogger(__name__)

SYNCHRONOUS_COMMIT_VALUES = {"on", "off", "local", "remote_write", "remote_apply"}

# Set in the threads that run a worker loop: only their connections get the worker's settings.
_worker_thread = threading.local()


class Worker:
    def __init__(
        self,
        *,
        batch: int | None = None,
        poll: float | None = None,
        owner: str | None = None,
        threads: int | None = None,
    ) -> None:
        self.batch = batch or settings.EVENTS_WORKER_BATCH
        self.poll = settings.EVENTS_WORKER_POLL if poll is None else poll
        self.owner = owner or claiming.worker_id()
        self.threads = max(1, threads or settings.EVENTS_WORKER_THREADS)
        self.stopping = False
        # Retention (operations.purge) on a schedule, by whichever thread finds it due first.
        self.purge_interval = settings.EVENTS_PURGE_INTERVAL
        self._next_purge = time.monotonic() + self.purge_interval
        self._purge_lock = threading.Lock()
        # Liveness (market.heartbeat): when each thread last went round its loop; the file gets
        # the oldest of those times, so one stuck thread makes the whole worker look stuck.
        self.heartbeat_file = settings.EVENTS_WORKER_HEARTBEAT_FILE
        self._rounds: dict[str, float] = {}
        self._last_beat = 0.0
        if settings.EVENTS_WORKER_SYNCHRONOUS_COMMIT not in SYNCHRONOUS_COMMIT_VALUES:
            raise ValueError(f"EVENTS_WORKER_SYNCHRONOUS_COMMIT must be one of {sorted(SYNCHRONOUS_COMMIT_VALUES)}")

    def stop(self, *_args) -> None:
        if not self.stopping:
            logger.info("worker %s stopping after the transaction in hand", self.owner)
        self.stopping = True

    def run_once(self, owner: str | None = None) -> int:
        """Claim one batch and run it. Returns how many deliveries were claimed."""
        owner = owner or self.owner
        periodic.run_due()  # the apps' periodic jobs (market.periodic), e.g. expiring holds
        scheduling.fire_due_now_and_then()
        claimed = claiming.claim(owner=owner, limit=self.batch)
        delivering.run(claimed, owner=owner, stopping=lambda: self.stopping)
        if self.stopping:
            claiming.release(owner)
        return len(claimed)

    def went_round(self, owner: str, now: float | None = None) -> None:
        """Note that ``owner``'s thread went round its loop; refresh the heartbeat file (at most
        once a second) with the time of the thread that went round longest ago."""
        now = time.time() if now is None else now
        self._rounds[owner] = now
        if not self.heartbeat_file or now - self._last_beat < 1.0:
            return
        self._last_beat = now
        try:
            heartbeat.beat(self.heartbeat_file, at=min(self._rounds.values()))
        except OSError as exc:  # a probe will say so; delivering goes on
            logger.warning("worker %s cannot write its heartbeat %s: %s", self.owner, self.heartbeat_file, exc)

    # Longest a worker thread purges before going round its loop again: deliveries wait meanwhile,
    # and the heartbeat must not go stale behind a purge of a large backlog of done rows.
    PURGE_SLICE_SECONDS = 5.0

    def purge_if_due(self) -> int:
        """Purge done deliveries past their retention if the interval has passed, for at most
        PURGE_SLICE_SECONDS (what is left is due again at the next round); returns how many."""
        if self.purge_interval <= 0 or time.monotonic() < self._next_purge:
            return 0
        if not self._purge_lock.acquire(blocking=False):
            return 0  # another thread of ours is at it
        try:
            started = time.monotonic()
            sliced = False

            def enough() -> bool:
                nonlocal sliced
                sliced = sliced or time.monotonic() - started > self.PURGE_SLICE_SECONDS
                return self.stopping or sliced

            purged = operations.purge(stopping=enough)
            self._next_purge = time.monotonic() + (0 if sliced else self.purge_interval)
        finally:
            self._purge_lock.release()
        if purged:
            logger.info("worker %s purged %s done deliveries past their retention", self.owner, purged)
        return purged

    def run_until_idle(self) -> int:
        """Run every due delivery, then return how many were claimed (``events_worker --once``)."""
        totals: list[int] = []

        def until_idle(owner: str) -> None:
            total = 0
            with worker_connection():
                try:
                    while not self.stopping and (claimed := self.run_once(owner)):
                        total += claimed
                finally:
                    totals.append(total)

        self._in_threads(until_idle)
        return sum(totals)

    def run_forever(self, *, sleep: Callable[[float], None] = time.sleep) -> None:
        previous = {sig: signal.signal(sig, self.stop) for sig in (signal.SIGTERM, signal.SIGINT)}
        logger.info(
            "worker %s started (batch %s, poll %.2fs, %s thread(s))", self.owner, self.batch, self.poll, self.threads
        )
        try:
            self._in_threads(partial(self._loop, sleep=sleep))
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            logger.info("worker %s stopped", self.owner)

    def _in_threads(self, target: Callable[[str], None]) -> None:
        """Run ``target(owner)`` here (one thread) or in ``self.threads`` threads, each with its own
        owner id and, Django's connections being per thread, its own database connection."""
        if self.threads == 1:
            target(self.owner)
            return
        threads = [
            threading.Thread(target=target, args=(f"{self.owner}/{i}",), name=f"events-worker-{i}")
            for i in range(self.threads)
        ]
        for thread in threads:
            thread.start()
        # Signals are handled by the main thread: short joins let the handler run promptly, and
        # the threads see ``stopping`` once the transaction in hand (a delivery or a batch) is done.
        while any(thread.is_alive() for thread in threads):
            for thread in threads:
                thread.join(timeout=0.2)

    def _loop(self, owner: str, *, sleep: Callable[[float], None]) -> None:
        """One thread's life: claim and run until stopping, then give back leases and the connection."""
        with worker_connection():
            try:
                while not self.stopping:
                    self.went_round(owner)
                    close_old_connections()  # recover by itself after a database outage
                    try:
                        claimed = self.run_once(owner)
                        self.purge_if_due()
                    except Exception:
                        logger.exception("worker %s could not claim or purge deliveries; retrying", owner)
                        claimed = 0
                        sleep(min(5.0, self.poll * 4))
                    if not self.stopping:
                        if not claimed:
                            sleep(self.poll)
                        elif claimed < self.batch // 4:
                            # A thin claim: let a few more deliveries arrive before the next one.
                            # Each claim costs the database about the same whatever it holds (a
                            # plan, an index walk, a lease UPDATE); back to back at a trickle,
                            # claims were a fifth of PostgreSQL's CPU under the reserve load.
                            sleep(self.poll / 4)
            finally:
                try:
                    claiming.release(owner)
                except Exception:
                    logger.warning("worker %s could not release its leases; they expire by themselves", owner)


@contextlib.contextmanager
def worker_connection() -> Iterator[None]:
    """Mark this thread as a worker's: its database connection (now, and after any reconnect)
    gets the worker's session settings; on the way out the connection is closed, so a web
    process or a test never inherits them."""
    _worker_thread.active = True
    try:
        if connection.connection is not None:
            apply_worker_settings(connection)
        yield
    finally:
        _worker_thread.active = False
        if not connection.in_atomic_block:
            connection.close()


@receiver(connection_created, dispatch_uid="market.bus.worker.apply_worker_settings")
def _on_connection_created(sender, connection, **kwargs) -> None:
    if getattr(_worker_thread, "active", False):
        apply_worker_settings(connection)


def apply_worker_settings(conn) -> None:
    """PostgreSQL: ``synchronous_commit`` for this worker connection (``EVENTS_WORKER_SYNCHRONOUS_COMMIT``,
    default off), so a delivery's COMMIT no longer waits for its WAL flush.

    Why that is safe here: a delivery's effects and its "done" mark commit together, so a commit
    lost in a crash (the last few hundred milliseconds before it) loses both, and the delivery
    simply runs again: at least once, effects once. Other transactions never see a commit that
    is later lost. An ``atomic=False`` subscriber's outside call (a KakaoTalk message) may repeat,
    which is why it carries an idempotency key. Web requests keep synchronous commits: a client
    told "reserved" must find the reservation after a crash.

    And ``plan_cache_mode = force_custom_plan``: the claim runs thousands of times as a prepared
    statement (``DB_SERVER_SIDE_BINDING``), and the generic plan PostgreSQL may switch to cannot
    tell that ``status = $1`` means the few pending rows, so it walks the primary key through every
    done row and scans the whole table for the ordering guard (135 ms instead of 1 ms with 6,000
    pending among 66,000). Planned with its values each time, the claim keeps to its indexes."""
    if conn.vendor != "postgresql":
        return
    with conn.cursor() as cursor:
        cursor.execute(
            "SELECT set_config('synchronous_commit', %s, false), set_config('plan_cache_mode', %s, false)",
            [settings.EVENTS_WORKER_SYNCHRONOUS_COMMIT, "force_custom_plan"],
        )
