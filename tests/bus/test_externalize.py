"""The externalizer against the real RabbitMQ (127.0.0.1:5672, or RABBITMQ_URL): a flow's events
arrive on a bound queue in order, once each by message_id, and an outage in the middle of a flow
loses nothing.

The outage is simulated with a TCP proxy in front of the shared broker (tests/support/pgproxy.py):
restarting the broker itself would disturb everyone else using it. Cutting the proxy drops the
publisher's connection and refuses new ones exactly as a stopped broker does.

Each run uses its own exchange and queues (prefix ``i15-<random>``) and deletes them afterwards.
Without a broker these tests skip, except with REQUIRE_RABBITMQ=1 or REQUIRE_POSTGRES=1 (CI),
where they fail.
"""

from __future__ import annotations

import io
import json
import os
import uuid
from collections import defaultdict
from urllib.parse import urlsplit

import pika
import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from market import bus, events
from market.bus import consuming, externalize, registry
from market.models import Delivery, EventRecord
from payment.models import Payment
from product.services import product_register
from tests.support.pgproxy import TcpProxy

pytestmark = pytest.mark.django_db

RABBITMQ_URL = os.environ.get("RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672/%2F")


def _required() -> bool:
    return os.environ.get("REQUIRE_RABBITMQ") == "1" or os.environ.get("REQUIRE_POSTGRES") == "1"


@pytest.fixture(scope="module")
def broker():
    """A channel on the real broker (for declaring and reading test queues)."""
    try:
        connection = pika.BlockingConnection(pika.URLParameters(RABBITMQ_URL))
    except pika.exceptions.AMQPError as exc:
        message = f"RabbitMQ is not reachable at {RABBITMQ_URL}: {exc!r} (start it: rabbitmq-server -detached)"
        if _required():
            pytest.fail(message)
        pytest.skip(message)
    yield connection.channel()
    connection.close()


@pytest.fixture
def names(broker):
    """Unique exchange and queue names for this test; deleted afterwards."""
    prefix = f"i15-{uuid.uuid4().hex[:8]}"
    created = {"exchange": f"{prefix}.market.events", "queues": []}
    yield prefix, created
    for queue in created["queues"]:
        broker.queue_delete(queue)
    broker.exchange_delete(created["exchange"])


def bound_queue(broker, created, name: str, pattern: str = "#") -> str:
    consuming.declare(broker, name, [pattern], created["exchange"])
    created["queues"].append(name)
    return name


def read_all(queue: str, exchange: str) -> list[dict]:
    """Every message waiting on ``queue`` (repeats included), in arrival order."""
    connection = pika.BlockingConnection(pika.URLParameters(RABBITMQ_URL))
    out = []
    try:
        channel = connection.channel()
        while True:
            method, props, body = channel.basic_get(queue, auto_ack=True)
            if method is None:
                return out
            out.append({"routing_key": method.routing_key, "props": props, "body": json.loads(body)})
    finally:
        connection.close()


@pytest.fixture
def externalizer(names):
    """The externalizer, registered for every published event type, publishing to this test's
    exchange through a TCP proxy the test can cut."""
    _, created = names
    target = urlsplit(RABBITMQ_URL)
    proxy = TcpProxy((target.hostname or "127.0.0.1", target.port or 5672))
    url = RABBITMQ_URL.replace(f"{target.hostname}:{target.port or 5672}", f"127.0.0.1:{proxy.port}")
    if f":{proxy.port}" not in url:  # a URL without an explicit port
        url = RABBITMQ_URL.replace(f"@{target.hostname}", f"@127.0.0.1:{proxy.port}")
    publisher = externalize.register(
        url=url, types=externalize.event_types("*"), exchange=created["exchange"], subscriber_id="market.externalize"
    )
    publisher.proxy = proxy
    try:
        yield publisher
    finally:
        registry.unregister("market.externalize")
        publisher.close()
        proxy.close()


def reference_flow(seller, buyer, client_for, drain, tag: str) -> None:
    """Register two products, reserve both over HTTP, pay for one, cancel the other."""
    noodle = product_register(seller=seller, name=f"Noodle {tag}", price=3000)
    desk = product_register(seller=seller, name=f"Desk {tag}", price=50000)
    reservations = []
    for product in (noodle, desk):
        response = client_for(buyer).post(
            "/api/reservations/", {"product_id": product.pk}, format="json", HTTP_X_REQUEST_ID=f"{tag}-{product.pk}"
        )
        assert response.status_code == 201, response.content
        reservations.append(response.json()["id"])
    drain()
    payment = Payment.objects.get(reservation_id=reservations[0])
    assert client_for(buyer).post(f"/api/payments/{payment.pk}/pay/").status_code == 200
    assert client_for(buyer).post(f"/api/reservations/{reservations[1]}/cancel/").status_code == 200
    drain()


def check_order_and_once(messages: list[dict], *, repeats_allowed: bool) -> None:
    """Every logged event arrived (once, unless repeats are allowed), each aggregate in log order."""
    ids = [m["props"].message_id for m in messages]
    logged = {str(e) for e in EventRecord.objects.values_list("event_id", flat=True)}
    assert set(ids) == logged
    if not repeats_allowed:
        assert len(ids) == len(set(ids))
    first_seen: dict[str, list[int]] = defaultdict(list)
    seen: set[str] = set()
    for m in messages:
        if m["props"].message_id in seen:
            continue
        seen.add(m["props"].message_id)
        aggregate = m["body"]["aggregate"]
        first_seen[f"{aggregate['type']}:{aggregate['id']}"].append(m["body"]["sequence"])
    for key, sequences in first_seen.items():
        assert sequences == sorted(sequences), f"{key} out of order: {sequences}"


def test_a_flows_events_arrive_in_order_once_each(broker, names, externalizer, seller, buyer, client_for, drain):
    prefix, created = names
    queue = bound_queue(broker, created, f"{prefix}.all")
    payments = bound_queue(broker, created, f"{prefix}.payments", "PaymentCompleted")
    reference_flow(seller, buyer, client_for, drain, prefix)
    assert not Delivery.objects.filter(subscriber="market.externalize").exclude(status="done").exists()

    messages = read_all(queue, created["exchange"])
    check_order_and_once(messages, repeats_allowed=False)

    placed = next(m for m in messages if m["routing_key"] == "ReservationPlaced")
    record = EventRecord.objects.get(event_id=placed["props"].message_id)
    props = placed["props"]
    assert props.delivery_mode == 2 and props.content_type == "application/json"
    assert props.correlation_id == record.correlation_id and props.type == "ReservationPlaced"
    body = placed["body"]
    assert body == {
        "type": "ReservationPlaced",
        "version": 1,
        "id": str(record.event_id),
        "occurred_at": record.occurred_at.isoformat(),
        "aggregate": {"type": "reservation", "id": record.aggregate_id},
        "payload": record.payload,
        "correlation": record.correlation_id,
        "causation": record.causation_id,
        "sequence": record.pk,
    }
    assert body["correlation"].startswith(prefix)  # the HTTP request's id started the chain

    # A queue bound to one routing key gets only that type.
    assert [m["routing_key"] for m in read_all(payments, created["exchange"])] == ["PaymentCompleted"]


def test_an_outage_mid_flow_loses_nothing(
    broker, names, externalizer, seller, buyer, client_for, drain, settings, monkeypatch
):
    settings.EVENTS_EXTERNALIZE_RETRY_SECONDS = 60
    prefix, created = names
    queue = bound_queue(broker, created, f"{prefix}.all")
    proxy = externalizer.proxy

    # The broker goes away in the middle of a batch: while the third message is being sent.
    calls = {"n": 0}
    send = pika.channel.Channel.basic_publish

    def basic_publish(channel, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            proxy.cut()
        return send(channel, *args, **kwargs)

    monkeypatch.setattr(pika.channel.Channel, "basic_publish", basic_publish)
    reference_flow(seller, buyer, client_for, drain, f"{prefix}-a")
    waiting = Delivery.objects.filter(subscriber="market.externalize", status="pending")
    assert waiting.exists()
    assert set(waiting.values_list("attempts", flat=True)) == {0}  # an outage counts no attempt
    assert not Delivery.objects.filter(subscriber="market.externalize", status="dead").exists()

    # While it is down, the flow goes on: only the backlog grows.
    before = waiting.count()
    reference_flow(seller, buyer, client_for, drain, f"{prefix}-b")
    assert waiting.count() > before
    [row] = [b for b in bus.backlog() if b.subscriber == "market.externalize"]
    assert row.pending == waiting.count() and row.dead == 0

    proxy.restore()
    waiting.update(available_at=timezone.now())  # the minute of waiting has passed
    drain()
    assert not Delivery.objects.filter(subscriber="market.externalize").exclude(status="done").exists()
    messages = read_all(queue, created["exchange"])
    # Messages the broker took before the cut go out again with their batch (at least once).
    assert calls["n"] > len({m["props"].message_id for m in messages})
    check_order_and_once(messages, repeats_allowed=True)


def test_a_message_the_broker_refuses_is_retried_then_dead(broker, names, externalizer, settings):
    """The exchange exists with another type: the broker closes the channel (a refusal, not an
    outage), so attempts count and the delivery ends dead, requeueable."""
    settings.EVENTS_MAX_ATTEMPTS = 2
    settings.EVENTS_BACKOFF_BASE = 0
    _, created = names
    broker.exchange_declare(created["exchange"], exchange_type="direct", durable=False, auto_delete=False)
    with transaction.atomic():
        bus.publish(events.UserContactChanged(user_id=1, username="u", phone="010"))
    bus.drain()
    delivery = Delivery.objects.get(subscriber="market.externalize")
    assert (delivery.status, delivery.attempts) == ("dead", 2)
    assert "PRECONDITION_FAILED" in delivery.last_error


def test_events_consume_prints_each_message_once(broker, names, externalizer, seller, drain):
    prefix, created = names
    queue = f"{prefix}.consumer"
    created["queues"].append(queue)
    # The consumer declares and binds its queue first (what a carved-out service does at start).
    with override_settings(EVENTS_EXTERNALIZE_EXCHANGE=created["exchange"]):
        call_command(
            "events", "consume", "--queue", queue, "--url", RABBITMQ_URL, "--idle", "0.2", stdout=io.StringIO()
        )
        product_register(seller=seller, name="Lamp", price=100)
        drain()
        out = io.StringIO()
        call_command("events", "consume", "--queue", queue, "--url", RABBITMQ_URL, "--idle", "1", stdout=out)
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert len({m["message_id"] for m in lines}) == len(lines) == EventRecord.objects.count()
    [registered] = [m for m in lines if m["routing_key"] == "ProductRegistered"]
    assert registered["body"]["payload"]["product_name"] == "Lamp"


def test_event_types_are_all_by_default_or_the_ones_named():
    assert set(externalize.event_types("*")) == {t for t in events.EVENT_TYPES if not t.startswith("test.")}
    assert externalize.event_types("ReservationPlaced, PaymentCompleted") == ("ReservationPlaced", "PaymentCompleted")
    with pytest.raises(ValueError, match="Nope"):
        externalize.event_types("ReservationPlaced,Nope")


def test_without_a_url_nothing_is_registered(settings):
    settings.EVENTS_EXTERNALIZE_URL = ""
    assert externalize.register_from_settings() is None
    assert "market.externalize" not in bus.subscribers()


def test_the_default_exchange_is_a_durable_topic_named_market_events(broker):
    # Publishing declares it (idempotent); no queue is bound to this routing key.
    externalize.Publisher(RABBITMQ_URL, "market.events").publish(
        [events.UserContactChanged(user_id=0, username="i15-test", phone="")]
    )
    # passive: fails if missing or declared differently
    broker.exchange_declare("market.events", exchange_type="topic", durable=True, passive=True)


def test_a_connection_dropped_while_idle_is_replaced_at_once(broker, names, externalizer, seller, drain):
    """The broker restarted (or dropped an idle connection) between two batches: the next batch
    goes out at once on a connection of its own, without waiting for a retry."""
    prefix, created = names
    queue = bound_queue(broker, created, f"{prefix}.all")
    product_register(seller=seller, name="Before", price=100)
    drain()
    externalizer.proxy.cut()  # kills the publisher's open connection ...
    externalizer.proxy.restore()  # ... and the broker is back before the next batch
    product_register(seller=seller, name="After", price=100)
    drain()
    assert set(Delivery.objects.filter(subscriber="market.externalize").values_list("status", "attempts")) == {
        ("done", 1)
    }
    check_order_and_once(read_all(queue, created["exchange"]), repeats_allowed=False)
