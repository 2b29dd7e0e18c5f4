"""The event bus: publish, subscribe, deliver. This module is its public face; read it in a minute.

Publishing (inside the command's transaction)::

    publish(ReservationPlaced(...))

1. runs the in-transaction subscribers right away through the event's blinker signal; one may
   veto the command by raising a ``market.errors.DomainError`` (everything rolls back), or
   answer it: ``ask(event)`` publishes like ``publish`` and returns what they returned,
2. stores the event in the log with one delivery row per durable subscriber, together with the
   events those subscribers published meanwhile, in publication order (one statement on
   PostgreSQL; two INSERTs per event elsewhere),
3. after commit, runs the durable subscribers (inline dispatch) by the worker's own path.

Subscribing (in an app's ``handlers.py``, imported by its AppConfig.ready)::

    @in_transaction(ReservationPlaced, id="product.hold_for_reservation")
    def hold(event): ...

    @durable(ProductReserved, id="payment.request_payment")
    def request(event): ...

Every handler is called through ``signal(event.type)``: a receiver connected to it for any sender
sees every call, in the transaction (sender ``IN_TRANSACTION``) and every durable delivery
(sender: the subscriber's id), inline or in the worker, alone or in a batch.

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
  lease, so one delivery never runs in two places at once; a lease left by a worker that died
  expires (``EVENTS_LEASE_SECONDS``) and another worker takes the delivery over.

Modules: ``registry`` (subscribers and their signals), ``publishing`` (publish and store),
``claiming`` (leases), ``delivering`` (run: the one path), ``worker`` (the loop),
``operations`` (backlog, pause/resume, requeue, purge), ``replay`` (the log read back, to rebuild
a read model).

Reaching outward (issue 15): ``correlation`` (every event's correlation and causation ids, set
here, never by the apps; ``chain()`` starts one for a job), ``scheduling`` (``schedule(event,
at=..., key=...)``, ``cancel_scheduled(key)``, fired by the worker), ``tracing`` (``trace(id)``:
a chain as a tree) and ``externalize`` (a durable subscriber publishing events to RabbitMQ).
"""

from market.bus.claiming import claim, release, worker_id
from market.bus.correlation import chain
from market.bus.delivering import OUTSIDE_BATCH, LeaseLost, Unavailable, backoff_seconds, drain, run
from market.bus.operations import Backlog, backlog, is_paused, pause, purge, requeue, resume
from market.bus.publishing import ask, publish, publish_many
from market.bus.registry import (
    IN_TRANSACTION,
    Subscriber,
    catalogue,
    catalogue_markdown,
    durable,
    durable_subscribers,
    in_transaction,
    signal,
    signals,
    subscribers,
)
from market.bus.replay import logged_count, logged_events
from market.bus.scheduling import cancel_scheduled, fire_due, schedule

__all__ = [
    "IN_TRANSACTION",
    "OUTSIDE_BATCH",
    "Backlog",
    "LeaseLost",
    "Subscriber",
    "Unavailable",
    "ask",
    "backlog",
    "backoff_seconds",
    "cancel_scheduled",
    "catalogue",
    "catalogue_markdown",
    "chain",
    "claim",
    "drain",
    "durable",
    "durable_subscribers",
    "fire_due",
    "in_transaction",
    "is_paused",
    "logged_count",
    "logged_events",
    "pause",
    "publish",
    "publish_many",
    "purge",
    "release",
    "requeue",
    "resume",
    "run",
    "schedule",
    "signal",
    "signals",
    "subscribers",
    "worker_id",
]
