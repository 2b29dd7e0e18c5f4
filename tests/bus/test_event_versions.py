"""The events' one vocabulary, and payloads stored under an older one.

Every field name means one thing in every event, no context reaches for a private name of
``market.events``, and a payload a previous release stored (version 1 of the product events said
``name`` for the listing's name, now ``product_name``) is upcast when it is decoded, so the new
handlers get it as if it had been published today.
"""

from __future__ import annotations

import ast
import dataclasses
import uuid
from collections import defaultdict
from pathlib import Path

import pytest
from django.db import transaction
from django.utils import timezone

from market import bus, events
from market.bus import externalize, registry
from market.models import Delivery, EventRecord

CONTEXTS = ["product", "reservation", "payment", "notice", "mypage"]
ROOT = Path(__file__).resolve().parents[2]
# Field names given up for the vocabulary: never to be used again, not even for something else
# (``Event.upcast`` relies on that when the stored version is unknown).
RETIRED = {"name"}


def catalogue() -> dict[str, type[events.Event]]:
    return {t: c for t, c in events.EVENT_TYPES.items() if not t.startswith("test.")}


def test_one_field_name_means_one_thing_in_every_event():
    types_of = defaultdict(set)
    for event_class in catalogue().values():
        for f in dataclasses.fields(event_class):
            types_of[f.name].add(str(f.type))
    assert {name: kinds for name, kinds in types_of.items() if len(kinds) > 1} == {}
    assert not RETIRED & set(types_of)
    # The listing's name and price, and a payment's amount, under one name each.
    carriers = {t for t, c in catalogue().items() if "product_name" in {f.name for f in dataclasses.fields(c)}}
    assert carriers == {t for t, c in catalogue().items() if issubclass(c, events.NamedListing)}
    assert {t for t, c in catalogue().items() if issubclass(c, events.PaymentEvent)} == {
        t for t, c in catalogue().items() if "amount" in {f.name for f in dataclasses.fields(c)}
    }


def test_market_events_offers_no_private_base_and_no_context_imports_one():
    private = [n for n, v in vars(events).items() if n.startswith("_") and isinstance(v, type)]
    assert private == []
    offending = []
    for context in CONTEXTS:
        for path in (ROOT / context).rglob("*.py"):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if isinstance(node, ast.ImportFrom) and node.module == "market.events":
                    offending += [f"{path.relative_to(ROOT)}: {a.name}" for a in node.names if a.name.startswith("_")]
                elif (
                    isinstance(node, ast.Attribute)
                    and isinstance(node.value, ast.Name)
                    and node.value.id == "events"
                    and node.attr.startswith("_")
                ):
                    offending.append(f"{path.relative_to(ROOT)}:{node.lineno}: events.{node.attr}")
    assert offending == []


V1_PAYLOADS = {
    "ProductRegistered": {"product_id": 7, "seller_id": 1, "seller_name": "s", "name": "Lamp", "price": "100"},
    "ProductUpdated": {"product_id": 7, "seller_id": 1, "name": "Lamp", "price": "100"},
    "ProductReserved": {
        **{"product_id": 7, "reservation_id": 3, "buyer_id": 2, "seller_id": 1},
        **{"seller_name": "s", "name": "Lamp", "price": "100"},
    },
    "ProductReleased": {"product_id": 7, "reservation_id": 3, "buyer_id": 2, "seller_id": 1, "name": "Lamp"},
    "ProductSoldOut": {"product_id": 7, "reservation_id": 3, "buyer_id": 2, "seller_id": 1, "name": "Lamp"},
    "ProductPriceLowered": {"product_id": 7, "seller_id": 1, "name": "Lamp", "previous_price": "200", "price": "100"},
}


def decode(type_: str, payload: dict, version: int | None) -> events.Event:
    return events.Event.from_record(
        type=type_, payload=payload, event_id=uuid.uuid4(), occurred_at=timezone.now(), sequence=None, version=version
    )


def test_the_events_that_renamed_a_field_say_so_in_their_version():
    renamed = {t for t, c in catalogue().items() if c.renamed}
    assert renamed == set(V1_PAYLOADS)
    assert all(catalogue()[t].version == 2 for t in renamed)


@pytest.mark.parametrize("type_", sorted(V1_PAYLOADS))
def test_a_version_1_payload_is_upcast_to_the_current_names(type_):
    old = V1_PAYLOADS[type_]
    event = decode(type_, old, version=1)
    assert isinstance(event, events.NamedListing) and event.product_name == "Lamp"
    expected = {("product_name" if k == "name" else k): v for k, v in old.items()}
    assert {k: v for k, v in event.payload().items() if k in expected} == expected
    # Stored by this release, or with no version on record (a scheduled message): the same event.
    assert decode(type_, event.payload(), version=2).payload() == event.payload()
    assert decode(type_, event.payload(), version=None).payload() == event.payload()
    assert decode(type_, old, version=None).payload() == event.payload()


def test_upcasting_leaves_the_stored_payload_as_it_was():
    stored = dict(V1_PAYLOADS["ProductReserved"])
    decode("ProductReserved", stored, version=1)
    assert stored == V1_PAYLOADS["ProductReserved"]


def store_as_a_previous_release(type_: str, payload: dict, *, aggregate_id: str) -> EventRecord:
    """What version 1 left in the log: the old names, ``version`` 1, one pending delivery per
    durable subscriber (the externalizer included, when it is registered)."""
    with transaction.atomic():
        record = EventRecord.objects.create(
            event_id=uuid.uuid4(),
            type=type_,
            version=1,
            aggregate_type="product",
            aggregate_id=aggregate_id,
            occurred_at=timezone.now(),
            payload=payload,
        )
        Delivery.objects.bulk_create(
            Delivery(event=record, subscriber=sid, aggregate_key=f"product:{aggregate_id}", available_at=timezone.now())
            for sid in registry.durable_ids_for(type_)
        )
    return record


@pytest.mark.django_db
def test_a_stored_version_1_reservation_reaches_the_new_handlers_intact(seller, buyer):
    from mypage.models import MyPageRow
    from notice.models import Notification
    from payment.models import Payment

    payload = {
        **{"product_id": 70, "reservation_id": 30, "buyer_id": buyer.pk, "seller_id": seller.pk},
        **{"seller_name": "seller", "name": "Old lamp", "price": "4500"},
    }
    record = store_as_a_previous_release("ProductReserved", payload, aggregate_id="70")
    bus.drain()

    assert set(record.deliveries.values_list("status", flat=True)) == {Delivery.Status.DONE}
    payment = Payment.objects.get(reservation_id=30)
    assert (payment.product_id, payment.buyer_id, payment.seller_id, payment.amount) == (70, buyer.pk, seller.pk, 4500)
    row = MyPageRow.objects.get(reservation_id=30)
    assert (row.product_name, row.price, row.seller_name) == ("Old lamp", 4500, "seller")
    told = {n.kind: n for n in Notification.objects.filter(event_id=record.event_id)}
    assert set(told) == {"RESERVED", "RESERVATION_RECEIVED"}
    assert "'Old lamp'" in told["RESERVED"].text and told["RESERVED"].parameters["productName"] == "Old lamp"
    assert told["RESERVED"].parameters["amount"] == "4,500"


@pytest.mark.django_db
def test_stored_version_1_listing_events_reach_the_directory_and_the_wishers(seller, buyer):
    from notice.models import Notification, ProductName

    store_as_a_previous_release(
        "ProductRegistered",
        {"product_id": 71, "seller_id": seller.pk, "seller_name": "seller", "name": "Old desk", "price": "9000"},
        aggregate_id="71",
    )
    with transaction.atomic():
        bus.publish(events.ProductWished(product_id=71, user_id=buyer.pk))
    lowered = store_as_a_previous_release(
        "ProductPriceLowered",
        {"product_id": 71, "seller_id": seller.pk, "name": "Old desk", "previous_price": "9000", "price": "8000"},
        aggregate_id="71",
    )
    bus.drain()

    assert ProductName.objects.get(product_id=71).name == "Old desk"
    [note] = Notification.objects.filter(event_id=lowered.event_id)
    assert (note.recipient_user_id, note.kind) == (buyer.pk, "WISH_PRICE_LOWERED")
    assert note.parameters == {"productName": "Old desk", "amount": "8,000", "previousAmount": "9,000"}


def test_an_upcast_event_goes_out_as_the_version_its_payload_now_has():
    """The externalized envelope names the version of the payload it carries: a stored version 1
    event, decoded after the rename, goes out as version 2 with the new names."""
    event = decode("ProductSoldOut", V1_PAYLOADS["ProductSoldOut"], version=1)
    body = externalize.envelope(event)
    assert body["version"] == 2 and body["payload"]["product_name"] == "Lamp" and "name" not in body["payload"]
    assert externalize.properties(event).headers["version"] == 2
