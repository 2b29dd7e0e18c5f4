"""The operator's side: the backlog, pause/resume per subscriber, requeueing dead deliveries,
purging done ones."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, Q
from django.utils import timezone

from market.bus import registry
from market.models import Delivery, Subscription


def pause(subscriber_id: str) -> None:
    registry.known_durable(subscriber_id)
    Subscription.objects.update_or_create(id=subscriber_id, defaults={"paused": True})


def resume(subscriber_id: str) -> None:
    registry.known_durable(subscriber_id)
    Subscription.objects.update_or_create(id=subscriber_id, defaults={"paused": False})


def is_paused(subscriber_id: str) -> bool:
    return Subscription.objects.filter(id=subscriber_id, paused=True).exists()


@dataclass(frozen=True)
class Backlog:
    subscriber: str
    paused: bool
    pending: int
    failing: int
    dead: int
    done: int


def backlog() -> list[Backlog]:
    """Per durable subscriber: pending (of which failing: tried at least once), dead, done."""
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    rows = (
        Delivery.objects.values("subscriber", "status")
        .annotate(n=Count("id"), failing=Count("id", filter=Q(attempts__gt=0)))
        .order_by()
    )
    for row in rows:
        counts[row["subscriber"]][row["status"]] += row["n"]
        if row["status"] == Delivery.Status.PENDING:
            counts[row["subscriber"]]["failing"] += row["failing"]
    paused = set(Subscription.objects.filter(paused=True).values_list("id", flat=True))
    names = sorted(set(registry.durable_subscribers()) | set(counts))
    return [
        Backlog(
            subscriber=name,
            paused=name in paused,
            pending=counts[name]["pending"],
            failing=counts[name]["failing"],
            dead=counts[name]["dead"],
            done=counts[name]["done"],
        )
        for name in names
    ]


def requeue(*, subscriber: str | None = None, ids: Iterable[int] | None = None) -> int:
    """Give dead deliveries a fresh start. Returns how many were requeued."""
    dead = Delivery.objects.filter(status=Delivery.Status.DEAD)
    if subscriber:
        dead = dead.filter(subscriber=subscriber)
    if ids is not None:
        dead = dead.filter(id__in=list(ids))
    return dead.update(
        status=Delivery.Status.PENDING, attempts=0, available_at=timezone.now(), leased_until=None, lease_owner=""
    )


def purge(
    *,
    older_than: timedelta | None = None,
    batch: int | None = None,
    now: datetime | None = None,
    stopping: Callable[[], bool] = lambda: False,
) -> int:
    """Delete done deliveries completed more than ``older_than`` (``EVENTS_RETENTION_HOURS``) ago,
    ``batch`` (``EVENTS_PURGE_BATCH``) rows per DELETE, each its own short transaction, until none
    is left or ``stopping()``. Returns how many were deleted.

    Only "done" rows go: pending and dead deliveries are the work still owed and are kept
    whatever their age, and so is the event log, the source every read model is rebuilt from. A
    purged row is no longer needed by anything: the ordering guard only looks for unfinished
    deliveries, and an event is never delivered again unless an operator replays the log.
    Each DELETE finds its rows in delivery_retention_idx (subscriber, status, completed_at), one
    subscriber at a time, oldest first: its cost is the rows it deletes, not the table."""
    if older_than is None:
        older_than = timedelta(hours=settings.EVENTS_RETENTION_HOURS)
    cutoff = (now or timezone.now()) - older_than
    batch = batch or settings.EVENTS_PURGE_BATCH
    names = set(registry.durable_subscribers()) | set(Subscription.objects.values_list("id", flat=True))
    deleted = 0
    for name in sorted(names):
        while True:  # at least one DELETE per call, so that a purge cut short still moves on
            old = Delivery.objects.filter(subscriber=name, status=Delivery.Status.DONE, completed_at__lt=cutoff)
            n, _ = Delivery.objects.filter(pk__in=old.order_by("completed_at").values("pk")[:batch]).delete()
            deleted += n
            if n < batch:
                break
            if stopping():
                return deleted
    return deleted
