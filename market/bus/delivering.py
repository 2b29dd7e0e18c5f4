"""Running deliveries: the one path by which a durable subscriber's handler runs, whether inline
after commit, in the worker, in tests or from ``manage.py events``.

``run`` runs claimed deliveries (``claiming.claim``), grouped by subscriber, through the
subscriber's blinker signal; ``drain`` claims and runs until nothing is due.

Running a group costs no read of its own: the claim brought the events, and the handler's
transaction starts with one conditional UPDATE, ``status='done' WHERE id IN (…) AND
status='pending' AND lease_owner=<us>``, which both checks the leases and locks the rows until
commit, so nobody else claims them even if the handler outlives its lease. If it matches fewer
rows, a lease was taken over; if the handler raises, the rollback leaves the deliveries pending.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from market import observability
from market.bus import registry
from market.bus.claiming import atomic_with, claim, worker_id
from market.models import Delivery

logger = logging.getLogger(__name__)

# Deliveries per batch of an atomic=False subscriber that takes lists. Bounded, so that a slow
# provider holds back some deliveries rather than a whole claim; not tiny, because each batch has
# a fixed cost (a transaction of the handler's own, the "done" UPDATE). A provider that is down
# costs a batch one timeout: notice stops calling a channel after its first transient failure.
OUTSIDE_BATCH = 50


class LeaseLost(Exception):
    """The conditional "done" UPDATE matched fewer rows than it should: a lease was taken over,
    or a delivery was finished elsewhere. Raised inside the handler's transaction to roll back."""


class Unavailable(Exception):
    """Raised by a handler when the outside world it talks to cannot be reached (a broker down):
    not the events' fault, so the deliveries wait ``retry_after`` seconds and count no attempt.
    An outage grows the backlog instead of filling the dead letters."""

    def __init__(self, message: str, *, retry_after: float = 5.0) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def backoff_seconds(attempts: int) -> float:
    """Delay before the next try after ``attempts`` failures: base, 2×base, 4×base, ... capped."""
    return min(settings.EVENTS_BACKOFF_BASE * (2 ** max(attempts - 1, 0)), settings.EVENTS_BACKOFF_MAX)


# --- running ---------------------------------------------------------------------------------


def run(
    deliveries: list[Delivery],
    *,
    owner: str,
    stopping: Callable[[], bool] = lambda: False,
    commit: str | None = None,
) -> list[str]:
    """Run deliveries leased to ``owner``; return their outcomes ("done", "retry", "dead",
    "skipped"), in the order run. Stops early once ``stopping()``, leaving the rest leased.

    Each subscriber's deliveries run together: an atomic subscriber's in one transaction (its
    effects commit with their "done" marks), an ``atomic=False`` one that takes lists in chunks of
    ``OUTSIDE_BATCH``, any other ``atomic=False`` one by one. Regrouping keeps every ordering
    promise: a claim never holds two deliveries of the same subscriber and aggregate (the later
    one waits), and subscribers are independent of each other. ``commit``: see ``claiming.atomic_with``."""
    groups: dict[str, list[Delivery]] = {}
    for delivery in deliveries:
        groups.setdefault(delivery.subscriber, []).append(delivery)
    outcomes: list[str] = []
    for subscriber_id, group in groups.items():
        try:
            subscriber = registry.get(subscriber_id)
        except LookupError as exc:
            outcomes += [_record_failure(delivery, owner, exc) for delivery in group]
            continue
        size = len(group) if subscriber.atomic else OUTSIDE_BATCH if subscriber.batch else 1
        for start in range(0, len(group), size):
            if stopping():
                return outcomes
            outcomes += _run_together(subscriber, group[start : start + size], owner, commit)
    return outcomes


def _run_together(
    subscriber: registry.Subscriber, deliveries: list[Delivery], owner: str, commit: str | None = None
) -> list[str]:
    """Run deliveries of one subscriber as one unit.

    Atomic: one transaction; the "done" UPDATE comes first (it checks the leases and locks the
    rows), then the handler through its signal, then COMMIT. If anything goes wrong in a group of
    several (a handler raises, a lease was lost, a deadlock with another worker), nothing of it
    commits and each delivery runs again alone: a failing one is retried alone and holds the
    others back by this one extra pass, which counts no attempt.

    ``atomic=False``: the handler runs outside a transaction, then one UPDATE marks the group done.
    The calls were made and cannot be taken back, so a failure is not retried at once: each
    delivery counts a failed attempt and retries after its backoff, where an idempotent handler
    skips what it already did."""
    ids = [delivery.pk for delivery in deliveries]
    events = [delivery.event.to_event() for delivery in deliveries]
    try:
        if subscriber.atomic:
            with atomic_with(commit):
                if _mark_done(ids, owner) != len(ids):
                    raise LeaseLost(ids)
                registry.call(subscriber.id, events)
        else:
            registry.call(subscriber.id, events)
            if _mark_done(ids, owner) != len(ids):
                raise LeaseLost(ids)  # those still ours are marked done now; the others are skipped
    except Exception as exc:  # a failing subscriber fails nobody else
        if subscriber.atomic and len(deliveries) > 1:
            logger.info("%s deliveries to %s failed together (%s); one by one now", len(ids), subscriber.id, exc)
            return [_run_together(subscriber, [delivery], owner, commit)[0] for delivery in deliveries]
        if isinstance(exc, LeaseLost) and len(deliveries) == 1:
            logger.warning("delivery %s to %s: lease lost to another worker, skipped", ids[0], subscriber.id)
            return ["skipped"]
        return [_record_failure(delivery, owner, exc) for delivery in deliveries]
    finished = timezone.now()
    for _ in deliveries:
        observability.delivery_finished(subscriber.id, "done")
    lags = [(finished - delivery.created_at).total_seconds() for delivery in deliveries]
    observability.emit("deliveries_ran", subscriber=subscriber.id, size=len(deliveries), lags=lags)
    return ["done"] * len(deliveries)


def _mark_done(ids: list[int], owner: str) -> int:
    """Mark done the deliveries of ``ids`` still pending and leased to ``owner``; return how many.
    ``completed_at`` is the time the successful attempt started."""
    return Delivery.objects.filter(pk__in=ids, status=Delivery.Status.PENDING, lease_owner=owner).update(
        status=Delivery.Status.DONE,
        attempts=F("attempts") + 1,
        completed_at=timezone.now(),
        leased_until=None,
        last_error="",
    )


def _record_failure(claimed: Delivery, owner: str, exc: Exception) -> str:
    """Count a failed attempt, only on a delivery ``owner`` still leases (locked while we decide)."""
    error = "".join(traceback.format_exception_only(type(exc), exc)).strip()
    with transaction.atomic():
        delivery = (
            Delivery.objects.select_for_update()
            .filter(pk=claimed.pk, status=Delivery.Status.PENDING, lease_owner=owner)
            .first()
        )
        if delivery is None:
            return "skipped"
        delivery.last_error = error[:4000]
        delivery.leased_until = None
        delivery.lease_owner = ""
        if isinstance(exc, Unavailable):
            delivery.available_at = timezone.now() + timedelta(seconds=exc.retry_after)
            outcome = "waiting"
        elif (attempts := delivery.attempts + 1) >= settings.EVENTS_MAX_ATTEMPTS:
            delivery.attempts = attempts
            delivery.status = Delivery.Status.DEAD
            outcome = "dead"
        else:
            delivery.attempts = attempts
            delivery.available_at = timezone.now() + timedelta(seconds=backoff_seconds(delivery.attempts))
            outcome = "retry"
        delivery.save(update_fields=["attempts", "last_error", "leased_until", "lease_owner", "status", "available_at"])
    log = logger.error if outcome == "dead" else logger.warning
    log(
        "delivery %s to %s failed (attempt %s, %s): %s",
        delivery.pk,
        delivery.subscriber,
        delivery.attempts,
        outcome,
        error,
        extra={
            "event_id": str(claimed.event.event_id),
            "correlation_id": claimed.event.correlation_id or "-",
            "causation_id": claimed.event.causation_id or "-",
        },
    )
    observability.delivery_finished(delivery.subscriber, outcome)
    return outcome


def drain(
    *,
    max_rounds: int = 100,
    subscriber: str | None = None,
    only_ids: list[int] | None = None,
    now: datetime | None = None,
    owner: str | None = None,
    commit: str | None = None,
) -> int:
    """Claim and run due deliveries until none is left or ``max_rounds`` claims were run (what
    the worker does, in this process). Deliveries still backing off or paused stay. Returns how
    many ran successfully."""
    owner = owner or worker_id()
    done = 0
    for _ in range(max_rounds):
        claimed = claim(owner=owner, subscriber=subscriber, only_ids=only_ids, now=now, commit=commit)
        if not claimed:
            break
        done += run(claimed, owner=owner, commit=commit).count("done")
    return done
