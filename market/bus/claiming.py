"""Claiming deliveries: leasing due ones to a worker (``FOR UPDATE SKIP LOCKED``), with their
events, so that running them reads nothing more; giving leases back."""

from __future__ import annotations

import contextlib
import os
import socket
import time
import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from market import observability
from market.models import Delivery, Subscription


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


@contextlib.contextmanager
def atomic_with(commit: str | None):
    """A transaction; on PostgreSQL with ``synchronous_commit`` set to ``commit`` for it alone
    (None: the connection's own). Inline dispatch runs deliveries with the worker's setting (off
    by default), safe for the same reason (see market.bus.worker.apply_worker_settings): a
    delivery's effects and its "done" commit together, so a commit lost in a crash only means the
    delivery runs again, and the request that published has committed synchronously already."""
    with transaction.atomic():
        connection = transaction.get_connection()
        if commit and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config('synchronous_commit', %s, true)", [commit])
        yield


# --- claiming --------------------------------------------------------------------------------


def _claimable(now: datetime):
    # "Unfinished" is spelled "neither done nor dead", not "pending", on purpose: the partial
    # indexes of pending rows could answer "pending", and with statistics taken before a backlog
    # built up the planner then scans the whole backlog for every candidate. Only
    # delivery_agg_idx answers this spelling, by looking up the candidate's own aggregate,
    # whatever the statistics say (bench/analysis.md has the measurements).
    earlier_unfinished = Delivery.objects.filter(
        subscriber=OuterRef("subscriber"),
        aggregate_key=OuterRef("aggregate_key"),
        id__lt=OuterRef("id"),
    ).exclude(status__in=[Delivery.Status.DONE, Delivery.Status.DEAD])
    paused = Subscription.objects.filter(id=OuterRef("subscriber"), paused=True)
    return (
        Delivery.objects.filter(status=Delivery.Status.PENDING, available_at__lte=now)
        .filter(Q(leased_until__isnull=True) | Q(leased_until__lt=now))
        .exclude(Exists(paused))
        .exclude(Exists(earlier_unfinished))
    )


def claim(
    *,
    owner: str,
    limit: int | None = None,
    only_ids: list[int] | None = None,
    subscriber: str | None = None,
    now: datetime | None = None,
    commit: str | None = None,
) -> list[Delivery]:
    """Lease up to ``limit`` due deliveries to ``owner``, oldest first, skipping rows another
    worker holds. Returns them with their events, read in the claim's own SELECT: everything
    ``run`` needs."""
    started = time.perf_counter()
    now = now or timezone.now()
    limit = limit or settings.EVENTS_WORKER_BATCH
    leased_until = now + timedelta(seconds=settings.EVENTS_LEASE_SECONDS)
    with atomic_with(commit):
        candidates = _claimable(now)
        if only_ids is not None:
            candidates = candidates.filter(id__in=only_ids)
        if subscriber is not None:
            candidates = candidates.filter(subscriber=subscriber)
        claimed = list(
            candidates.order_by("id").select_related("event").select_for_update(skip_locked=True, of=("self",))[:limit]
        )
        if claimed:
            Delivery.objects.filter(id__in=[d.pk for d in claimed]).update(leased_until=leased_until, lease_owner=owner)
    for delivery in claimed:
        delivery.leased_until, delivery.lease_owner = leased_until, owner
    observability.emit("deliveries_claimed", size=len(claimed), seconds=time.perf_counter() - started)
    return claimed


def release(owner: str) -> int:
    """Give back the leases ``owner`` still holds (a worker stopping), so others take them now."""
    return Delivery.objects.filter(status=Delivery.Status.PENDING, lease_owner=owner).update(
        leased_until=None, lease_owner=""
    )
