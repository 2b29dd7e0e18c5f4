"""The event bus: publish, subscribe, deliver. Read it in a minute.

Publishing (inside the command's transaction)::

    publish(ReservationPlaced(...))

1. runs the in-transaction subscribers right away through a blinker signal; one may veto the
   command by raising a ``market.errors.DomainError`` (everything rolls back),
2. stores the event in the log with one delivery row per durable subscriber, together with the
   events those subscribers published meanwhile, in publication order (one statement on
   PostgreSQL; two INSERTs per event elsewhere),
3. after commit, runs the durable subscribers (inline dispatch), each in its own transaction.

Subscribing (in an app's ``handlers.py``, imported by its AppConfig.ready)::

    @in_transaction(ReservationPlaced, id="product.hold_for_reservation")
    def hold(event): ...

    @durable(ProductReserved, id="payment.request_payment")
    def request(event): ...

Delivery guarantees of durable subscribers, per subscriber:

- at least once, effects once: the handler's writes and the marking of its delivery as done
  commit together; a crash in between rolls both back and the delivery runs again later;
- failures are retried with exponential backoff; after ``EVENTS_MAX_ATTEMPTS`` the delivery is
  dead: kept, listed and requeueable (``manage.py events requeue``);
- order: deliveries for the same aggregate run in publication order. A later delivery waits
  while an earlier one for the same aggregate is pending (also while it is failing and backing
  off). A dead delivery is set aside like a dead-letter queue and no longer blocks; when it is
  requeued it runs after the ones that went past it, so handlers must tolerate that;
- paused subscribers keep accumulating deliveries, which run when resumed;
- several workers (processes, threads, machines) claim with ``FOR UPDATE SKIP LOCKED`` and a
  lease, so one delivery never runs in two places at once. A running delivery's row stays locked
  until its transaction ends, so nobody else claims it even if the handler outlives its lease; a
  lease left by a worker that died expires (``EVENTS_LEASE_SECONDS``) and another worker takes
  the delivery over.

Running a delivery costs no read of its own: the claim's SELECT brings the event along, and the
handler's transaction starts with one conditional UPDATE, ``status='done' WHERE id=… AND
status='pending' AND lease_owner=<us>``, which both checks the lease and locks the row. If it
matches no row the lease was taken over and the delivery counts as "skipped" here; if the handler
raises, the rollback leaves the delivery pending and the failure is recorded. The worker
(``market.worker``) may run several threads and commits asynchronously on PostgreSQL; see there
why that is safe. It runs a claim's deliveries to one subscriber as a batch (``run_batch``): one
transaction, one "done" UPDATE, and one call of the handler with the whole list when it takes
lists (``durable(..., batch=True)``): a fixed number of statements for the lot.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import traceback
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import partial

import blinker
from django.conf import settings
from django.db import transaction
from django.db.models import Count, Exists, F, OuterRef, Q
from django.utils import timezone

from market import observability
from market.events import EVENT_TYPES, Event
from market.models import Delivery, EventRecord, Subscription

logger = logging.getLogger(__name__)

Handler = Callable[[Event], None] | Callable[[list[Event]], None]

_in_transaction_signals = blinker.Namespace()
_durable_signals = blinker.Namespace()


@dataclass(frozen=True)
class Subscriber:
    id: str
    event_types: tuple[str, ...]
    handler: Handler
    durable: bool
    # Durable only. atomic=False: the handler runs outside any transaction (it talks to the
    # outside world and must be idempotent itself). inline=False: only the worker runs it, so a
    # slow outside world never delays the request that published.
    atomic: bool = True
    inline: bool = True
    # batch=True: the handler takes a list of events (a handful of statements for the lot instead
    # of a few per event): one event when run alone, a claim's deliveries in the worker.
    batch: bool = False


_subscribers: dict[str, Subscriber] = {}
_durable_by_type: dict[str, list[str]] = defaultdict(list)


def _register(
    event_classes: Iterable[type[Event]],
    id: str,
    durable: bool,
    atomic: bool = True,
    inline: bool = True,
    batch: bool = False,
) -> Callable[[Handler], Handler]:
    types = tuple(cls.type for cls in event_classes)
    if not types:
        raise TypeError("subscribe to at least one event type")

    def decorator(handler: Handler) -> Handler:
        if id in _subscribers:
            if _subscribers[id].handler is handler:
                return handler
            raise ValueError(f"subscriber id {id!r} is registered twice")
        _subscribers[id] = Subscriber(
            id=id, event_types=types, handler=handler, durable=durable, atomic=atomic, inline=inline, batch=batch
        )
        namespace = _durable_signals if durable else _in_transaction_signals
        for event_type in types:
            receiver = _receiver(handler, batch)
            # Durable receivers are connected for their subscriber id only, so one delivery
            # reaches exactly one handler; in-transaction receivers hear every event of the type.
            sender = id if durable else blinker.ANY
            namespace.signal(event_type).connect(receiver, sender=sender, weak=False)
            if durable:
                _durable_by_type[event_type].append(id)
        return handler

    return decorator


def _receiver(handler: Handler, batch: bool):
    def receiver(sender, *, event: Event) -> None:
        handler([event] if batch else event)

    return receiver


def in_transaction(*event_classes: type[Event], id: str) -> Callable[[Handler], Handler]:
    """Run inside the publisher's transaction; raising a DomainError vetoes the command."""
    return _register(event_classes, id, durable=False)


def durable(
    *event_classes: type[Event], id: str, atomic: bool = True, inline: bool = True, batch: bool = False
) -> Callable[[Handler], Handler]:
    """Run after commit, in a transaction of its own, at least once, under a stable id.

    ``atomic=False`` runs the handler outside a transaction (for calls to the outside world; the
    handler must make repeated runs harmless). ``inline=False`` leaves it to the worker.
    ``batch=True``: the handler takes a list of events and does to them what it would do to each
    in turn; it gets one event when a delivery runs alone and a claim's worth in the worker
    (``run_batch``)."""
    return _register(event_classes, id, durable=True, atomic=atomic, inline=inline, batch=batch)


def subscribers() -> dict[str, Subscriber]:
    return dict(_subscribers)


def durable_subscribers() -> list[str]:
    return sorted(s.id for s in _subscribers.values() if s.durable)


# --- publishing ------------------------------------------------------------------------------


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


def publish_many(events: Iterable[Event]) -> list[Event]:
    """``publish`` each of ``events`` in turn, storing them (and whatever their in-transaction
    subscribers publish) together: one statement on PostgreSQL however many there are."""
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        raise RuntimeError("publish() must be called inside transaction.atomic(): events commit with their cause")
    pending = getattr(_publishing, "events", None)
    outermost = pending is None
    if outermost:
        pending = _publishing.events = []
    try:
        positions = []
        for event in events:
            positions.append(len(pending))
            pending.append(event)
            with observability.log_context(event_id=str(event.event_id)):
                _in_transaction_signals.signal(event.type).send(blinker.ANY, event=event)
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
            subscriber_ids = _durable_by_type.get(event.type, [])
            if subscriber_ids:
                created = Delivery.objects.bulk_create(
                    Delivery(event=record, subscriber=sid, aggregate_key=event.aggregate_key, available_at=now)
                    for sid in subscriber_ids
                )
                deliveries += [(d.pk, d.subscriber) for d in created]
    if settings.EVENTS_DISPATCH == "inline":
        ids = [pk for pk, sid in deliveries if _subscribers[sid].inline]
        if ids:
            transaction.on_commit(partial(_dispatch_inline, ids), robust=True)
    return sequences


# PostgreSQL: events and their deliveries in one round trip. The first CTE inserts the events
# (ids follow the VALUES order); the second one delivery per (event, subscriber), in the order
# of the arrays, so delivery ids follow publication order too; the SELECT returns every event
# with its deliveries (none for an event nobody durable listens to).
_PUBLISH_SQL = """
    WITH e AS (
        INSERT INTO market_eventrecord (event_id, type, version, aggregate_type, aggregate_id, occurred_at, payload)
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
_EVENT_COLUMNS = ("event_id", "type", "version", "aggregate_type", "aggregate_id", "occurred_at", "payload")


def _insert_with_deliveries(connection, records: list[EventRecord], events: list[Event]):
    """Run ``_PUBLISH_SQL`` for ``records``. Returns ([sequence], [(delivery id, subscriber)])."""
    fields = [EventRecord._meta.get_field(c) for c in _EVENT_COLUMNS]
    values = [f.get_db_prep_save(getattr(r, f.attname), connection) for r in records for f in fields]
    uuids, subscriber_ids, keys = [], [], []
    for event in events:
        for sid in _durable_by_type.get(event.type, []):
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


def _dispatch_inline(delivery_ids: list[int]) -> None:
    """After commit: run the new deliveries here and now. Whatever fails, is paused or must wait
    behind an earlier delivery is left to the worker; the publisher never sees an error."""
    try:
        owner = f"inline:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        for delivery in claim_deliveries(owner=owner, only_ids=delivery_ids):
            run_delivery(delivery, owner=owner)
    except Exception:  # the command has committed; delivery is the worker's job from here
        logger.exception("inline dispatch failed; the worker will retry")


# --- delivering ------------------------------------------------------------------------------


def backoff_seconds(attempts: int) -> float:
    """Delay before the next try after ``attempts`` failures: base, 2×base, 4×base, ... capped."""
    return min(settings.EVENTS_BACKOFF_BASE * (2 ** max(attempts - 1, 0)), settings.EVENTS_BACKOFF_MAX)


def _claimable(now: datetime):
    # "Unfinished" is spelled "neither done nor dead", not "pending", on purpose. Written as
    # "pending", the guard could also be answered from the partial indexes of pending rows, and
    # when the statistics were taken with few pending rows (a backlog builds up faster than
    # ANALYZE runs: after an outage, under a burst) the planner believed those indexes empty and
    # scanned the whole backlog for every candidate: 131 ms per claim of 200 with 4,000 pending,
    # growing with the backlog. Only delivery_agg_idx can answer this spelling, by looking up
    # the candidate's own aggregate (0.005 ms), whatever the statistics say.
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
) -> list[int]:
    """Lease up to ``limit`` due deliveries to ``owner``, oldest first, skipping rows another
    worker holds. Returns their ids (``claim_deliveries`` returns the rows, ready to run)."""
    return [d.pk for d in claim_deliveries(owner=owner, limit=limit, only_ids=only_ids, subscriber=subscriber, now=now)]


def claim_deliveries(
    *,
    owner: str,
    limit: int | None = None,
    only_ids: list[int] | None = None,
    subscriber: str | None = None,
    now: datetime | None = None,
) -> list[Delivery]:
    """``claim``, returning the leased deliveries with their events: everything ``run_delivery``
    needs, read in the claim's own SELECT, so running one costs no extra read."""
    now = now or timezone.now()
    limit = limit or settings.EVENTS_WORKER_BATCH
    leased_until = now + timedelta(seconds=settings.EVENTS_LEASE_SECONDS)
    with transaction.atomic():
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
    return claimed


class LeaseLost(Exception):
    """The conditional "done" UPDATE matched no row: our lease was taken over, or the delivery
    was finished elsewhere. Raised inside the handler's transaction to roll its effects back."""


def run_delivery(delivery: Delivery | int, *, owner: str) -> str:
    """Run one delivery leased to ``owner`` (a row from ``claim_deliveries``, or its id).
    Returns "done", "retry", "dead" or "skipped"."""
    if not isinstance(delivery, Delivery):
        leased = Delivery.objects.filter(pk=delivery, status=Delivery.Status.PENDING, lease_owner=owner)
        delivery = leased.select_related("event").first()
        if delivery is None:  # finished elsewhere, or our lease was taken over
            return "skipped"
    try:
        subscriber = _subscriber_for(delivery)
        if subscriber.atomic:
            # The handler's writes and "done" commit together: effects apply once. "done" is
            # written first: that one UPDATE checks our lease and locks the row until commit, so
            # no other worker can claim it meanwhile (SKIP LOCKED), even if the handler outlives
            # the lease. If the handler raises, the rollback makes the delivery pending again.
            with transaction.atomic():
                _mark_done(delivery.pk, owner)
                _send(subscriber, delivery)
        else:
            # Outside any transaction; our lease keeps other workers away meanwhile.
            _send(subscriber, delivery)
            _mark_done(delivery.pk, owner)
    except LeaseLost:
        logger.warning("delivery %s to %s: lease lost to another worker, skipped", delivery.pk, delivery.subscriber)
        return "skipped"
    except Exception as exc:  # a failing subscriber fails nobody else
        return _record_failure(delivery, owner, exc)
    observability.delivery_finished(delivery.subscriber, "done")
    return "done"


# Deliveries per batch of an atomic=False subscriber. Bounded, so that a slow provider holds back
# some deliveries rather than a whole claim; not tiny, because each batch has a fixed cost (for
# notice.notify: a transaction creating the notifications, a read, the outcomes' UPDATEs, the
# "done" UPDATE), which at 10 per batch was half the worker's CPU. A provider that is down costs
# a batch one timeout, not fifty: notice stops calling a channel after its first transient failure.
OUTSIDE_BATCH = 50


def run_deliveries(
    deliveries: list[Delivery], *, owner: str, stopping: Callable[[], bool] = lambda: False
) -> list[str]:
    """Run claimed deliveries (what the worker does with a claim), grouped by subscriber: a
    group of several runs as a batch (``run_batch``) when its subscriber is atomic or takes
    lists, otherwise one by one. Regrouping keeps every ordering promise: a claim never holds
    two deliveries of the same subscriber and aggregate (the later one waits for the earlier),
    and subscribers are independent of each other. Stops early, leaving the rest leased (the
    worker then releases them), once ``stopping()``."""
    groups: dict[str, list[Delivery]] = defaultdict(list)
    for delivery in deliveries:
        groups[delivery.subscriber].append(delivery)
    outcomes: list[str] = []
    for subscriber_id, group in groups.items():
        if stopping():
            break
        subscriber = _subscribers.get(subscriber_id)
        if subscriber is not None and len(group) > 1 and (subscriber.atomic or subscriber.batch):
            # Calls to the outside world go in bounded batches: a slow provider then holds back
            # some deliveries, not a whole claim.
            size = len(group) if subscriber.atomic else OUTSIDE_BATCH
            for start in range(0, len(group), size):
                if stopping():
                    break
                outcomes += run_batch(group[start : start + size], owner=owner)
            continue
        for delivery in group:
            if stopping():
                break
            outcomes.append(run_delivery(delivery, owner=owner))
    return outcomes


def run_batch(deliveries: list[Delivery], *, owner: str) -> list[str]:
    """Run several deliveries of one subscriber together. Returns their outcomes, in order.

    Atomic subscribers: one transaction. One UPDATE marks them all done (checking our leases
    and locking the rows), the handler runs (once with the list, or once per delivery), one
    COMMIT. Same promise as one by one, each delivery's effects commit with its "done" mark, at
    a fraction of the round trips. ``atomic=False`` subscribers that take lists: the handler runs outside a
    transaction, then one UPDATE marks them done.

    If anything goes wrong in an atomic batch (a handler raises, a lease was lost, a deadlock
    with another worker's batch), nothing of it commits and each delivery runs again on its own
    (``run_delivery``): a failing one is retried alone and holds the others back by no more
    than this one extra pass, which counts no attempt. A failing ``atomic=False`` batch counts a
    failed attempt on each of its deliveries (those already marked done are left alone), so
    they retry after the backoff; that is why such batches are bounded (``OUTSIDE_BATCH``)."""
    subscriber = _subscriber_for(deliveries[0])
    ids = [delivery.pk for delivery in deliveries]
    try:
        if subscriber.atomic:
            with transaction.atomic():
                if _mark_done_many(ids, owner) != len(ids):
                    raise LeaseLost(ids)
                _send_batch(subscriber, deliveries)
        else:
            _send_batch(subscriber, deliveries)
            if _mark_done_many(ids, owner) != len(ids):
                raise LeaseLost(ids)  # those still ours are marked done now; the others are skipped
    except Exception as exc:
        if not subscriber.atomic:
            # The calls were made; running them again now would only repeat them (and wait out
            # a failing provider twice). Each delivery retries after its backoff instead, where
            # a handler that is idempotent skips what it already did.
            return [_record_failure(delivery, owner, exc) for delivery in deliveries]
        logger.info("batch of %s deliveries to %s failed (%s); running them one by one", len(ids), subscriber.id, exc)
        return [run_delivery(delivery, owner=owner) for delivery in deliveries]
    for _ in deliveries:
        observability.delivery_finished(subscriber.id, "done")
    return ["done"] * len(deliveries)


def _send_batch(subscriber: Subscriber, deliveries: list[Delivery]) -> None:
    if not subscriber.batch:
        for delivery in deliveries:
            _send(subscriber, delivery)
        return
    with observability.log_context(subscriber=subscriber.id):
        subscriber.handler([delivery.event.to_event() for delivery in deliveries])


def _subscriber_for(delivery: Delivery) -> Subscriber:
    subscriber = _subscribers.get(delivery.subscriber)
    if subscriber is None:
        raise LookupError(f"no subscriber {delivery.subscriber!r} is registered in this process")
    return subscriber


def _send(subscriber: Subscriber, delivery: Delivery) -> None:
    event = delivery.event.to_event()
    with observability.log_context(event_id=str(event.event_id), subscriber=subscriber.id):
        _durable_signals.signal(event.type).send(subscriber.id, event=event)


def _mark_done_many(ids: list[int], owner: str) -> int:
    """``_mark_done`` for a batch, in one UPDATE; returns how many rows it marked."""
    return Delivery.objects.filter(pk__in=ids, status=Delivery.Status.PENDING, lease_owner=owner).update(
        status=Delivery.Status.DONE,
        attempts=F("attempts") + 1,
        completed_at=timezone.now(),
        leased_until=None,
        last_error="",
    )


def _mark_done(delivery_id: int, owner: str) -> None:
    """One conditional UPDATE: done only if still pending and still leased to ``owner``. A worker
    whose lease expired and was taken over (or whose delivery another finished) matches no row
    and raises LeaseLost before running anything (after, for ``atomic=False`` subscribers, whose
    handler ran outside: then only the provider's idempotency protects). ``completed_at`` is the
    time the successful attempt started."""
    marked = Delivery.objects.filter(pk=delivery_id, status=Delivery.Status.PENDING, lease_owner=owner).update(
        status=Delivery.Status.DONE,
        attempts=F("attempts") + 1,
        completed_at=timezone.now(),
        leased_until=None,
        last_error="",
    )
    if not marked:
        raise LeaseLost(delivery_id)


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
        delivery.attempts += 1
        delivery.last_error = error[:4000]
        delivery.leased_until = None
        delivery.lease_owner = ""
        if delivery.attempts >= settings.EVENTS_MAX_ATTEMPTS:
            delivery.status = Delivery.Status.DEAD
            outcome = "dead"
        else:
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
        extra={"event_id": str(claimed.event.event_id)},
    )
    observability.delivery_finished(delivery.subscriber, outcome)
    return outcome


def release(owner: str) -> int:
    """Give back the leases ``owner`` still holds (a worker stopping), so others take them now."""
    return Delivery.objects.filter(status=Delivery.Status.PENDING, lease_owner=owner).update(
        leased_until=None, lease_owner=""
    )


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def drain(*, max_rounds: int = 100, subscriber: str | None = None, now: datetime | None = None) -> int:
    """Run every due delivery until none is left (what the worker does, in this process).
    Deliveries still backing off or paused stay. Returns how many ran successfully."""
    owner = worker_id()
    done = 0
    for _ in range(max_rounds):
        claimed = claim_deliveries(owner=owner, subscriber=subscriber, now=now)
        if not claimed:
            break
        done += run_deliveries(claimed, owner=owner).count("done")
    return done


# --- operating -------------------------------------------------------------------------------


def pause(subscriber_id: str) -> None:
    _known(subscriber_id)
    Subscription.objects.update_or_create(id=subscriber_id, defaults={"paused": True})


def resume(subscriber_id: str) -> None:
    _known(subscriber_id)
    Subscription.objects.update_or_create(id=subscriber_id, defaults={"paused": False})


def is_paused(subscriber_id: str) -> bool:
    return Subscription.objects.filter(id=subscriber_id, paused=True).exists()


def _known(subscriber_id: str) -> None:
    if subscriber_id not in _subscribers or not _subscribers[subscriber_id].durable:
        raise LookupError(f"unknown durable subscriber {subscriber_id!r}; known: {', '.join(durable_subscribers())}")


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
    names = sorted(set(durable_subscribers()) | set(counts))
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


def catalogue() -> list[tuple[str, str, list[str], list[str]]]:
    """(event type, aggregate, in-transaction subscribers, durable subscribers) for every event,
    generated from the code: the living documentation of who listens to what."""
    rows = []
    for event_type, event_class in sorted(EVENT_TYPES.items()):
        if event_type.startswith("test."):
            continue
        listening = [s for s in _subscribers.values() if event_type in s.event_types]
        rows.append(
            (
                event_type,
                event_class.aggregate_type,
                sorted(s.id for s in listening if not s.durable),
                sorted(s.id for s in listening if s.durable),
            )
        )
    return rows


def catalogue_markdown() -> str:
    lines = ["| event | about | in the same transaction | after commit (durable) |", "| --- | --- | --- | --- |"]
    for event_type, aggregate, in_tx, durable_ids in catalogue():
        lines.append(
            f"| `{event_type}` | {aggregate} | {', '.join(f'`{s}`' for s in in_tx) or '—'} "
            f"| {', '.join(f'`{s}`' for s in durable_ids) or '—'} |"
        )
    return "\n".join(lines)
