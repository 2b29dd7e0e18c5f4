"""Publishing: run the in-transaction subscribers, then store the events and their deliveries in
the publisher's transaction; with inline dispatch, run the new deliveries after commit."""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterable
from dataclasses import replace
from functools import partial

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from market.bus import claiming, correlation, delivering, registry
from market.events import Event
from market.models import Delivery, EventRecord

logger = logging.getLogger(__name__)

# The events published during the outermost publish() of this thread (its in-transaction
# subscribers may publish more); stored together when it returns. Django's connections are per
# thread, so per thread is per connection.
_publishing = threading.local()


def publish(event: Event) -> Event:
    """Run the in-transaction subscribers of ``event``, then store it and its deliveries in the
    current transaction. Returns the event with its log ``sequence`` set.

    Events that in-transaction subscribers publish meanwhile (reserving publishes
    ReservationPlaced; the product's hold publishes ProductReserved) are stored together with
    it, in publication order, when this outermost publish returns: one statement for them all
    on PostgreSQL. A nested publish returns its event without a sequence."""
    return publish_many([event])[0]


def ask(event: Event) -> list[object]:
    """``publish`` ``event`` and return its in-transaction subscribers' replies: what each of
    them returned other than None (a nested publish's replies are not among them).

    The one way a subscriber answers its publisher within the transaction, without either
    importing the other: the product's hold replies to the ReservationPlaced that asked for it
    with the ProductReserved it published, so the reservation command learns the listing."""
    replies: list[object] = []
    _publish([event], replies)
    return replies


def publish_many(events: Iterable[Event]) -> list[Event]:
    """``publish`` each of ``events`` in turn, storing them (and whatever their in-transaction
    subscribers publish) together: one statement on PostgreSQL however many there are."""
    return _publish(events, None)


def _publish(events: Iterable[Event], replies: list[object] | None) -> list[Event]:
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        raise RuntimeError("publish() must be called inside transaction.atomic(): events commit with their cause")
    pending = getattr(_publishing, "events", None)
    outermost = pending is None
    if outermost:
        pending = _publishing.events = []
    try:
        with correlation.implicit_chain() if outermost else contextlib.nullcontext():
            positions = []
            for event in events:
                event = correlation.stamp(event)
                positions.append(len(pending))
                pending.append(event)
                registry.call(registry.IN_TRANSACTION, [event], replies)
        if not outermost:
            return [pending[i] for i in positions]
        sequences = _store(connection, pending) if pending else []
        return [replace(pending[i], sequence=sequences[i]) for i in positions]
    finally:
        if outermost:
            _publishing.events = None


def _store(connection, events: list[Event]) -> list[int]:
    """Insert ``events`` into the log with one delivery per durable subscriber each, in order;
    return their sequences. Schedules inline dispatch of the new deliveries after commit."""
    records = [EventRecord.of(event) for event in events]
    if connection.vendor == "postgresql":
        sequences, deliveries = _insert_with_deliveries(connection, records, events)
    else:
        sequences, deliveries = [], []
        now = timezone.now()
        for record, event in zip(records, events, strict=True):
            record.save(force_insert=True)
            sequences.append(record.pk)
            subscriber_ids = registry.durable_ids_for(event.type)
            if subscriber_ids:
                created = Delivery.objects.bulk_create(
                    Delivery(event=record, subscriber=sid, aggregate_key=event.aggregate_key, available_at=now)
                    for sid in subscriber_ids
                )
                deliveries += [(d.pk, d.subscriber) for d in created]
    if settings.EVENTS_DISPATCH == "inline":
        ids = [pk for pk, sid in deliveries if registry.get(sid).inline]
        if ids:
            transaction.on_commit(partial(_dispatch_inline, ids), robust=True)
    return sequences


def _dispatch_inline(delivery_ids: list[int]) -> None:
    """After commit: run the new deliveries here and now, by the worker's own path and with its
    ``synchronous_commit`` (see ``claiming.atomic_with``). Whatever fails, is paused or must wait
    behind an earlier delivery is left to the worker; the publisher never sees an error."""
    commit = settings.EVENTS_WORKER_SYNCHRONOUS_COMMIT
    try:
        delivering.drain(
            only_ids=delivery_ids,
            max_rounds=1,
            owner=f"inline:{claiming.worker_id()}",
            commit=None if commit == "on" else commit,
        )
    except Exception:  # the command has committed; delivery is the worker's job from here
        logger.exception("inline dispatch failed; the worker will retry")


# PostgreSQL: events and their deliveries in one round trip. The first CTE inserts the events
# (ids follow the VALUES order); the second one delivery per (event, subscriber), in the order
# of the arrays, so delivery ids follow publication order too; the SELECT returns every event
# with its deliveries (none for an event nobody durable listens to).
_PUBLISH_SQL = """
    WITH e AS (
        INSERT INTO market_eventrecord
            (event_id, type, version, aggregate_type, aggregate_id, occurred_at, payload, correlation_id, causation_id)
        VALUES {values}
        RETURNING id, event_id
    ), d AS (
        INSERT INTO market_delivery
            (event_id, subscriber, aggregate_key, status, attempts, available_at, lease_owner, last_error, created_at)
        SELECT e.id, s.subscriber, s.aggregate_key, 'pending', 0, %s, '', '', %s
        FROM unnest(%s::uuid[], %s::text[], %s::text[]) WITH ORDINALITY AS s(event_uuid, subscriber, aggregate_key, n)
        JOIN e ON e.event_id = s.event_uuid
        ORDER BY s.n
        RETURNING id, event_id, subscriber
    )
    SELECT e.id, d.id, d.subscriber FROM e LEFT JOIN d ON d.event_id = e.id ORDER BY e.id, d.id
"""
_EVENT_COLUMNS = (
    "event_id",
    "type",
    "version",
    "aggregate_type",
    "aggregate_id",
    "occurred_at",
    "payload",
    "correlation_id",
    "causation_id",
)


def _insert_with_deliveries(connection, records: list[EventRecord], events: list[Event]):
    """Run ``_PUBLISH_SQL`` for ``records``. Returns ([sequence], [(delivery id, subscriber)])."""
    fields = [EventRecord._meta.get_field(c) for c in _EVENT_COLUMNS]
    values = [f.get_db_prep_save(getattr(r, f.attname), connection) for r in records for f in fields]
    uuids, subscriber_ids, keys = [], [], []
    for event in events:
        for sid in registry.durable_ids_for(event.type):
            uuids.append(event.event_id)
            subscriber_ids.append(sid)
            keys.append(event.aggregate_key)
    placeholders = ", ".join(["(" + ", ".join(["%s"] * len(fields)) + ")"] * len(records))
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(_PUBLISH_SQL.format(values=placeholders), [*values, now, now, uuids, subscriber_ids, keys])
        rows = cursor.fetchall()
    sequences = list(dict.fromkeys(event_pk for event_pk, _, _ in rows))
    for record, pk in zip(records, sequences, strict=True):
        record.pk = pk
        record._state.adding = False
    return sequences, [(pk, sid) for _, pk, sid in rows if pk is not None]
