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
id, body the JSON envelope (``envelope``). Each publish waits for the broker's confirm, so a
delivery is marked done only once the broker has the message.

A broker that cannot be reached is not the events' fault: the deliveries wait
(``EVENTS_EXTERNALIZE_RETRY_SECONDS``) without counting attempts, so an outage only grows the
backlog. A message the broker refuses (nack) counts a failed attempt like any handler error.
"""

from __future__ import annotations

import json
import logging
import threading

import pika
import pika.exceptions
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder

from market.bus import registry
from market.bus.delivering import Unavailable
from market.events import EVENT_TYPES, Event

logger = logging.getLogger(__name__)

SUBSCRIBER_ID = "market.externalize"

# Connection trouble: the broker is down, restarting or unreachable. Anything else (a nack, a
# refused exchange) is a failure of these messages and counts an attempt.
_UNREACHABLE = (
    pika.exceptions.AMQPConnectionError,
    pika.exceptions.ChannelWrongStateError,
    pika.exceptions.ConnectionWrongStateError,
    pika.exceptions.StreamLostError,
    OSError,
)


def envelope(event: Event) -> dict:
    """The message body: what a consumer needs to rebuild the event, and where it came from."""
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
    """One connection and confirming channel per thread (pika's connections are not thread-safe),
    opened on first use and again after it broke."""

    def __init__(self, url: str, exchange: str) -> None:
        self.url = url
        self.exchange = exchange
        self._local = threading.local()

    def _channel(self):
        channel = getattr(self._local, "channel", None)
        if channel is not None and channel.is_open:
            return channel
        self.close()
        parameters = pika.URLParameters(self.url)
        parameters.connection_attempts = 1
        parameters.socket_timeout = 5
        parameters.blocked_connection_timeout = 30  # a broker out of memory or disk blocks publishers
        connection = pika.BlockingConnection(parameters)
        channel = connection.channel()
        channel.confirm_delivery()
        channel.exchange_declare(self.exchange, exchange_type="topic", durable=True)
        self._local.connection, self._local.channel = connection, channel
        return channel

    def publish(self, events: list[Event]) -> None:
        """Publish ``events`` in order, each confirmed by the broker before the next.

        A connection kept from an earlier batch may have died meanwhile (the broker restarted,
        or dropped it for missed heartbeats while the worker was idle): then one fresh try at
        once, before telling the bus the broker is unreachable. Messages confirmed before the
        break go out again: at least once."""
        for fresh in (self._channel_is_open() is False, True):
            try:
                channel = self._channel()
                for event in events:
                    body = json.dumps(envelope(event), cls=DjangoJSONEncoder, ensure_ascii=False).encode()
                    channel.basic_publish(self.exchange, event.type, body, properties(event))
                return
            except _UNREACHABLE as exc:
                self.close()
                if fresh:
                    raise Unavailable(
                        f"RabbitMQ unreachable: {exc!r}", retry_after=settings.EVENTS_EXTERNALIZE_RETRY_SECONDS
                    ) from exc
            except pika.exceptions.AMQPError:
                self.close()
                raise

    def _channel_is_open(self) -> bool:
        channel = getattr(self._local, "channel", None)
        return channel is not None and channel.is_open

    def close(self) -> None:
        connection = getattr(self._local, "connection", None)
        self._local.connection = self._local.channel = None
        if connection is not None and connection.is_open:
            try:
                connection.close()
            except Exception:  # closing a broken connection may fail too; nothing to keep
                logger.debug("closing the RabbitMQ connection failed", exc_info=True)


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
