"""The externalizer: a durable subscriber of the bus that publishes events to RabbitMQ, so that a
service carved out later (or any other system) can follow them without touching our database.

Registered when ``EVENTS_EXTERNALIZE_URL`` is set (``amqp://guest:guest@127.0.0.1:5672/%2F``),
for every event type or the ones ``EVENTS_EXTERNALIZE_TYPES`` names. It is a subscriber like any
other (id ``market.externalize``), so it inherits the bus's guarantees: at least once, per
aggregate in publication order, retried with backoff, dead after ``EVENTS_MAX_ATTEMPTS``,
pausable, requeueable. It runs in the worker only (``inline=False``): a slow broker never slows
a request.

What goes out: to the durable topic exchange ``market.events`` (``EVENTS_EXTERNALIZE_EXCHANGE``),
routing key the event type (``ReservationPlaced``), persistent, one message per event with
``message_id`` = the event id (consumers drop repeats by it), ``correlation_id`` = the chain's
id, body the JSON envelope (``envelope``). A batch's deliveries are marked done only once the
broker has confirmed every one of its messages.

A broker that cannot be reached is not the events' fault: the deliveries wait
(``EVENTS_EXTERNALIZE_RETRY_SECONDS``) without counting attempts, so an outage only grows the
backlog. A message the broker refuses (a nack, or a channel it closes) counts a failed attempt
like any handler error.
"""

from __future__ import annotations

import json

import pika
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder

from market.bus import confirming, registry
from market.bus.delivering import Unavailable
from market.events import EVENT_TYPES, Event

SUBSCRIBER_ID = "market.externalize"

# Seconds a batch may wait for its confirms before the broker counts as unreachable.
CONFIRM_TIMEOUT = 30.0


def envelope(event: Event) -> dict:
    """The message body: what a consumer needs to rebuild the event, and where it came from.
    ``version`` is the schema of this payload: an event stored at an older version was upcast
    when its log row was decoded, so it goes out with the current names and version."""
    return {
        "type": event.type,
        "version": event.version,
        "id": str(event.event_id),
        "occurred_at": event.occurred_at.isoformat(),
        "aggregate": {"type": event.aggregate_type, "id": event.aggregate_id},
        "payload": event.payload(),
        "correlation": event.correlation_id,
        "causation": event.causation_id,
        "sequence": event.sequence,
    }


def properties(event: Event) -> pika.BasicProperties:
    return pika.BasicProperties(
        content_type="application/json",
        content_encoding="utf-8",
        delivery_mode=pika.DeliveryMode.Persistent,
        message_id=str(event.event_id),
        correlation_id=event.correlation_id,
        type=event.type,
        timestamp=int(event.occurred_at.timestamp()),
        app_id="market",
        headers={"causation_id": event.causation_id, "version": event.version},
    )


class Publisher:
    """Publishes a delivery batch's events and waits for all their confirms at once, on a
    connection of its own (``confirming.ConfirmedBatch``): nothing to keep alive between
    batches, nothing stale after a broker restart, and a batch's disk writes shared by its
    messages (bench/externalize.md)."""

    def __init__(self, url: str, exchange: str) -> None:
        self.url = url
        self.exchange = exchange

    def parameters(self) -> pika.URLParameters:
        parameters = pika.URLParameters(self.url)
        parameters.connection_attempts = 1
        parameters.socket_timeout = 5
        parameters.blocked_connection_timeout = 30  # a broker out of memory or disk blocks publishers
        return parameters

    def publish(self, events: list[Event]) -> None:
        """Publish ``events`` in order; return once the broker confirmed every one.

        If the connection breaks first, the whole batch goes out again on the next try:
        messages confirmed before the break are repeated (at least once)."""
        messages = [
            confirming.Message(
                event.type,
                json.dumps(envelope(event), cls=DjangoJSONEncoder, ensure_ascii=False).encode(),
                properties(event),
            )
            for event in events
        ]
        try:
            confirming.ConfirmedBatch(self.parameters(), self.exchange, messages, timeout=CONFIRM_TIMEOUT).run()
        except confirming.Unreachable as exc:
            raise Unavailable(str(exc), retry_after=settings.EVENTS_EXTERNALIZE_RETRY_SECONDS) from exc

    def close(self) -> None:
        """Nothing is kept open between batches."""


def event_types(names: str) -> tuple[str, ...]:
    """``EVENTS_EXTERNALIZE_TYPES``: "*" (every published event) or a comma-separated list."""
    if names.strip() in ("", "*"):
        return tuple(sorted(t for t in EVENT_TYPES if not t.startswith("test.")))
    chosen = tuple(n.strip() for n in names.split(",") if n.strip())
    unknown = [n for n in chosen if n not in EVENT_TYPES]
    if unknown:
        raise ValueError(f"EVENTS_EXTERNALIZE_TYPES names unknown event types: {unknown}")
    return chosen


def register(*, url: str, types: tuple[str, ...], exchange: str, subscriber_id: str = SUBSCRIBER_ID) -> Publisher:
    """Register the externalizer as a durable subscriber of ``types``; returns its publisher."""
    publisher = Publisher(url, exchange)
    registry.register(
        registry.Subscriber(
            id=subscriber_id,
            event_types=types,
            handler=publisher.publish,
            durable=True,
            atomic=False,
            inline=False,
            batch=True,
        )
    )
    return publisher


def register_from_settings() -> Publisher | None:
    """At start-up (market's AppConfig.ready): register when ``EVENTS_EXTERNALIZE_URL`` is set."""
    if not settings.EVENTS_EXTERNALIZE_URL:
        return None
    return register(
        url=settings.EVENTS_EXTERNALIZE_URL,
        types=event_types(settings.EVENTS_EXTERNALIZE_TYPES),
        exchange=settings.EVENTS_EXTERNALIZE_EXCHANGE,
    )
