"""``manage.py events consume --queue NAME``: read externalized events from RabbitMQ, as a service
carved out of the monolith would (README, "Carving out a service").

It declares a durable queue bound to the ``market.events`` exchange (by default to every routing
key, ``#``; ``--bind ReservationPlaced --bind PaymentCompleted`` for some types: a routing key is
one event type name),
prints one JSON line per message and acknowledges it after printing, so a consumer that dies
mid-way gets the unacknowledged ones again. Repeats (the bus delivers at least once) are
recognised by ``message_id`` and acknowledged without being printed twice, within one run; a
real service keeps those ids in its own inbox table.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pika
from django.conf import settings


def add_arguments(parser) -> None:
    parser.add_argument("--queue", required=True, help="Durable queue to declare, bind and read.")
    parser.add_argument(
        "--bind", action="append", default=None, help="Routing key pattern (event type; * and # allowed). Default #."
    )
    parser.add_argument("--url", default=None, help="Broker URL (default: EVENTS_EXTERNALIZE_URL).")
    parser.add_argument("--count", type=int, default=None, help="Stop after this many messages.")
    parser.add_argument("--idle", type=float, default=None, help="Stop after this many seconds without a message.")


def declare(channel, queue: str, patterns: list[str], exchange: str) -> None:
    channel.exchange_declare(exchange, exchange_type="topic", durable=True)
    channel.queue_declare(queue, durable=True)
    for pattern in patterns:
        channel.queue_bind(queue, exchange, routing_key=pattern)


def messages(
    *,
    queue: str,
    bind: list[str] | None = None,
    url: str | None = None,
    count: int | None = None,
    idle: float | None = None,
    exchange: str | None = None,
) -> Iterator[dict[str, Any]]:
    """Yield each new message of ``queue`` as {routing_key, message_id, correlation_id, body},
    acknowledging it once the caller asks for the next."""
    url = url or settings.EVENTS_EXTERNALIZE_URL
    if not url:
        raise LookupError("no broker: pass --url or set EVENTS_EXTERNALIZE_URL")
    connection = pika.BlockingConnection(pika.URLParameters(url))
    seen: set[str] = set()
    try:
        channel = connection.channel()
        channel.basic_qos(prefetch_count=100)
        declare(channel, queue, bind or ["#"], exchange or settings.EVENTS_EXTERNALIZE_EXCHANGE)
        yielded = 0
        for method, props, body in channel.consume(queue, inactivity_timeout=idle):
            if method is None:  # idle for ``idle`` seconds
                break
            if props.message_id not in seen:
                seen.add(props.message_id)
                yield {
                    "routing_key": method.routing_key,
                    "message_id": props.message_id,
                    "correlation_id": props.correlation_id,
                    "redelivered": method.redelivered,
                    "body": json.loads(body),
                }
                yielded += 1
            channel.basic_ack(method.delivery_tag)
            if count is not None and yielded >= count:
                break
        channel.cancel()
    finally:
        if connection.is_open:
            connection.close()


def consume(out, *, queue: str, bind: list[str] | None, url: str | None, count: int | None, idle: float | None, **_):
    for message in messages(queue=queue, bind=bind, url=url, count=count, idle=idle):
        out.write(json.dumps(message, ensure_ascii=False))
