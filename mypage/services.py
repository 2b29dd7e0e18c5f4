"""Commands of the mypage context: project one event into the read model, rebuild it all.

The projection is a pure fold over events, written so the result does not depend on the order
events arrive in (durable subscribers see different aggregates in no fixed relative order):

- the row is created by whichever event about the reservation comes first (upsert), and
  descriptive columns (product, seller, price, ...) are filled in when still empty;
- each status column only moves forward along a fixed rank, so a late "older" event is recorded
  in the timeline but does not move the status back;
- the timeline is keyed by event id, so a redelivered or replayed event changes nothing;
- ``created_at`` is the earliest and ``updated_at`` the latest ``occurred_at`` seen.

The handlers (``mypage.handlers``) and the rebuild command call the same ``mypage_apply_event``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils.dateparse import parse_datetime

from market import bus, events
from market.events import Event
from mypage.models import MyPageRow, TimelineEntry

SUBSCRIBER_ID = "mypage.project"

# Forward-only order of each status column; a tie is impossible in the domain, but a total order
# keeps the fold deterministic even so.
RANKS: dict[str, dict[str, int]] = {
    "reservation": {"reserved": 1, "cancelled": 2, "declined": 3, "expired": 4, "completed": 5},
    "payment": {"unpaid": 1, "voided": 2, "paid": 3},
    "product": {"pending": 1, "available": 2, "sold_out": 3},
}
STATUS_COLUMN = {"reservation": "reservation_status", "payment": "payment_status", "product": "product_status"}


@dataclass(frozen=True)
class Projection:
    subject: str  # which status column the event moves
    status: str  # to which value
    fields: Callable[[Any], dict[str, Any]]  # descriptive columns the event knows


def _won(value: str) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _when(value: str):
    return parse_datetime(value) if value else None


def _ended_fields(
    e: events.ReservationCancelled | events.ReservationDeclined | events.ReservationExpired,
) -> dict[str, Any]:
    """What ReservationCancelled, ReservationDeclined and ReservationExpired tell about the row."""
    return {
        "product_id": e.product_id,
        "buyer_id": e.buyer_id,
        "seller_id": e.seller_id,
        "product_name": e.product_name,
        "price": _won(e.price),
    }


def _payment_fields(e: events.PaymentEvent) -> dict[str, Any]:
    return {
        "payment_id": e.payment_id,
        "product_id": e.product_id,
        "buyer_id": e.buyer_id,
        "seller_id": e.seller_id,
        # The row's one price column: a payment's amount is the price as reserved.
        "price": _won(e.amount),
    }


def _product_fields(e: events.ProductReserved | events.ProductReleased | events.ProductSoldOut) -> dict[str, Any]:
    return {
        "product_id": e.product_id,
        "buyer_id": e.buyer_id,
        "seller_id": e.seller_id,
        "product_name": e.product_name,
    }


PROJECTIONS: dict[str, Projection] = {
    events.ReservationPlaced.type: Projection(
        "reservation",
        "reserved",
        lambda e: {
            "product_id": e.product_id,
            "buyer_id": e.buyer_id,
            "buyer_name": e.buyer_name,
            "hold_expires_at": _when(e.hold_expires_at),
        },
    ),
    events.ReservationCancelled.type: Projection("reservation", "cancelled", _ended_fields),
    events.ReservationDeclined.type: Projection("reservation", "declined", _ended_fields),
    events.ReservationExpired.type: Projection("reservation", "expired", _ended_fields),
    events.ReservationCompleted.type: Projection(
        "reservation",
        "completed",
        lambda e: {"product_id": e.product_id, "buyer_id": e.buyer_id, "seller_id": e.seller_id},
    ),
    events.ProductReserved.type: Projection(
        "product",
        "pending",
        lambda e: {**_product_fields(e), "seller_name": e.seller_name, "price": _won(e.price)},
    ),
    events.ProductReleased.type: Projection("product", "available", _product_fields),
    events.ProductSoldOut.type: Projection("product", "sold_out", _product_fields),
    events.PaymentRequested.type: Projection("payment", "unpaid", _payment_fields),
    events.PaymentCompleted.type: Projection("payment", "paid", _payment_fields),
    events.PaymentVoided.type: Projection("payment", "voided", _payment_fields),
}

PROJECTED_EVENTS: tuple[type[Event], ...] = tuple(events.EVENT_TYPES[t] for t in PROJECTIONS)


def mypage_apply_event(*, event: Event) -> bool:
    """Fold ``event`` into its reservation's row and timeline. Returns False when the event is
    not about a reservation or was already applied (redelivery, replay)."""
    return mypage_apply_events(events=[event]) == 1


def mypage_apply_events(*, events: Iterable[Event]) -> int:
    """Fold ``events``, in the order given, into their reservations' rows and timelines, exactly
    as one ``mypage_apply_event`` after another would, in a fixed number of statements whatever
    their number: which are applied already, the rows locked (the missing ones created), one
    upsert of the changed rows, one INSERT of the timeline entries. Returns how many events were
    applied (skipped: not about a reservation, or already in a timeline)."""
    todo = list({e.event_id: e for e in events if e.type in PROJECTIONS}.values())
    if not todo:
        return 0
    # savepoint=False: inside a delivery's (or a rebuild batch's) transaction this costs no
    # SAVEPOINT/RELEASE round trips; called on its own it is a transaction of its own.
    with transaction.atomic(savepoint=False):
        applied = set(
            TimelineEntry.objects.filter(event_id__in=[e.event_id for e in todo]).values_list("event_id", flat=True)
        )
        todo = [e for e in todo if e.event_id not in applied]
        if not todo:
            return 0
        rows = _locked_rows(todo)
        changed: dict[int, set[str]] = defaultdict(set)
        entries = []
        for event in todo:
            projection = PROJECTIONS[event.type]
            row = rows[event.reservation_id]  # type: ignore[attr-defined]
            changed[row.pk] |= _fold(row, event, projection)
            entries.append(
                TimelineEntry(
                    event_id=event.event_id,
                    sequence=event.sequence or 0,
                    row=row,
                    event_type=event.type,
                    subject=projection.subject,
                    status=projection.status,
                    occurred_at=event.occurred_at,
                    correlation_id=event.correlation_id or "",
                    causation_id=event.causation_id or "",
                )
            )
        fields = sorted(set().union(*changed.values()))
        if fields:
            # The rows exist and are locked: INSERT ... ON CONFLICT DO UPDATE is one UPDATE of
            # them all, far cheaper to build than bulk_update's CASE WHEN per row and column.
            MyPageRow.objects.bulk_create(
                [rows[pk] for pk, names in changed.items() if names],
                update_conflicts=True,
                unique_fields=["reservation_id"],
                update_fields=fields,
            )
        TimelineEntry.objects.bulk_create(entries)
    return len(todo)


def _fold(row: MyPageRow, event: Event, projection: Projection) -> set[str]:
    """Apply one event to its row in memory; returns the names of the columns it changed."""
    changed: set[str] = set()
    for name, value in projection.fields(event).items():
        if value not in (None, "") and getattr(row, name) in (None, ""):
            setattr(row, name, value)
            changed.add(name)
    column = STATUS_COLUMN[projection.subject]
    ranks = RANKS[projection.subject]
    if ranks[projection.status] > ranks.get(getattr(row, column) or "", 0):
        setattr(row, column, projection.status)
        changed.add(column)
    if event.occurred_at < row.created_at:
        row.created_at = event.occurred_at
        changed.add("created_at")
    if event.occurred_at > row.updated_at:
        row.updated_at = event.occurred_at
        changed.add("updated_at")
    return changed


def _locked_rows(events: list[Event]) -> dict[int, MyPageRow]:
    """The rows of the events' reservations, locked in key order (so two workers' batches
    cannot deadlock on rows that exist); the missing ones are created empty, as of the first
    event about them, with INSERT ... ON CONFLICT DO NOTHING: if another worker created one a
    moment ago we wait for and lock theirs, with no savepoint around a failing INSERT."""
    first_seen: dict[int, Any] = {}
    for event in events:
        first_seen.setdefault(event.reservation_id, event.occurred_at)  # type: ignore[attr-defined]
    locked = MyPageRow.objects.select_for_update().order_by("pk")
    rows = {row.pk: row for row in locked.filter(pk__in=list(first_seen))}
    missing = [pk for pk in first_seen if pk not in rows]
    if missing:
        MyPageRow.objects.bulk_create(
            [MyPageRow(reservation_id=pk, created_at=first_seen[pk], updated_at=first_seen[pk]) for pk in missing],
            ignore_conflicts=True,
        )
        rows |= {row.pk: row for row in locked.filter(pk__in=missing)}
    return rows


def mypage_rebuild(*, batch_size: int = 500, progress: Callable[[int], None] | None = None) -> int:
    """Throw the read model away and replay the event log into it, ``batch_size`` events per
    transaction, in log order. Touches only mypage's tables (no notification is re-sent).

    The live subscriber is paused meanwhile (unless an operator already paused it) so it does not
    write into half-rebuilt tables; what it missed waits as pending deliveries and is applied,
    idempotently, when it resumes. Returns how many events were applied."""
    was_paused = bus.is_paused(SUBSCRIBER_ID)
    if not was_paused:
        bus.pause(SUBSCRIBER_ID)
    try:
        with transaction.atomic():
            TimelineEntry.objects.all().delete()
            MyPageRow.objects.all().delete()
        applied = 0
        last = 0
        while True:
            batch = bus.logged_events(PROJECTIONS, after=last, limit=batch_size)
            if not batch:
                break
            with transaction.atomic():
                for event in batch:
                    applied += mypage_apply_event(event=event)
            last = batch[-1].sequence
            if progress is not None:
                progress(len(batch))
    finally:
        if not was_paused:
            bus.resume(SUBSCRIBER_ID)
    return applied


def mypage_events_to_replay() -> int:
    """How many events a rebuild would replay (for a progress bar's total)."""
    return bus.logged_count(PROJECTIONS)
