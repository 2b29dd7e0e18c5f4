"""Events that fire with time: ``schedule(event, at=..., key=...)`` and ``cancel_scheduled(key)``.

Both write in the caller's transaction, so a scheduled message commits or rolls back with the
command that scheduled it. The worker calls ``fire_due()``; each due message is deleted and
published in one transaction, through ``publish`` like any event: its durable subscribers get
their deliveries (at least once, per-aggregate order, retries, dead letters) and its
in-transaction subscribers run in that transaction.

Exactly once, with several workers: ``fire_due`` locks the due rows ``FOR UPDATE SKIP LOCKED``
(PostgreSQL; another worker skips them) and publishes only the rows its conditional DELETE
removed (SQLite lets one writer in at a time; a second worker finds them gone). The event keeps
the id it was given when scheduled, and the log's unique event id refuses a second copy anyway.

Time comes from ``now()`` (tests swap it for a fake clock).
"""

from __future__ import annotations

import threading
import time
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from market.bus import correlation
from market.bus.publishing import publish_many
from market.events import Event
from market.models import ScheduledMessage

# How often a worker thread looks for due messages at most (each look is one indexed query).
FIRE_EVERY_SECONDS = 1.0
FIRE_BATCH = 100


def now() -> datetime:
    return timezone.now()


def _in_transaction() -> None:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("schedule()/cancel_scheduled() must be called inside transaction.atomic()")


def schedule(event: Event, *, at: datetime, key: str | None = None) -> Event:
    """Store ``event`` to be published at or after ``at``, in the current transaction. Scheduling
    again under the same ``key`` replaces the message not yet fired. Returns the event with its
    correlation and causation ids (those of the scheduling context: the chain goes on when it fires)."""
    _in_transaction()
    event = correlation.stamp(event)
    if key is not None:
        ScheduledMessage.objects.filter(key=key).delete()
    ScheduledMessage.objects.create(
        key=key,
        event_id=event.event_id,
        type=event.type,
        payload=event.payload(),
        correlation_id=event.correlation_id or "",
        causation_id=event.causation_id or "",
        due_at=at,
    )
    return event


def cancel_scheduled(key: str) -> bool:
    """Cancel the message scheduled under ``key``, in the current transaction. Returns whether
    one was waiting (False: none, or it already fired)."""
    _in_transaction()
    deleted, _ = ScheduledMessage.objects.filter(key=key).delete()
    return bool(deleted)


def scheduled(key: str) -> ScheduledMessage | None:
    return ScheduledMessage.objects.filter(key=key).first()


def fire_due(*, at: datetime | None = None, limit: int = FIRE_BATCH) -> int:
    """Publish the messages due at ``at`` (default: ``now()``), oldest due first; return how many."""
    at = at or now()
    with transaction.atomic():
        due = list(
            ScheduledMessage.objects.filter(due_at__lte=at)
            .order_by("due_at", "id")
            .select_for_update(skip_locked=True)[:limit]
        )
        mine = [m for m in due if ScheduledMessage.objects.filter(pk=m.pk).delete()[0]]
        if mine:
            publish_many(
                Event.from_record(
                    type=m.type,
                    payload=m.payload,
                    event_id=m.event_id,
                    occurred_at=at,
                    sequence=None,
                    correlation_id=m.correlation_id,
                    causation_id=m.causation_id,
                )
                for m in mine
            )
    return len(mine)


_last_fired = threading.local()


def fire_due_now_and_then() -> int:
    """``fire_due`` at most every ``FIRE_EVERY_SECONDS`` per thread: what the worker's loop calls
    before each claim, so a busy worker does not add a query to every claim."""
    started = time.monotonic()
    if started - getattr(_last_fired, "at", float("-inf")) < FIRE_EVERY_SECONDS:
        return 0
    _last_fired.at = started
    return fire_due()
