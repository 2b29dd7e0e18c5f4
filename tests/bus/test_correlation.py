"""Correlation and causation: set by the bus on every event, shown in logs, the admin, my-page's
timeline and ``manage.py events trace``."""

from __future__ import annotations

import io
import logging

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import Client

from market import bus, events, observability
from market.models import EventRecord
from market.observability import ContextFilter
from mypage.models import TimelineEntry
from product.services import product_register
from reservation.services import reservation_place
from tests.bus.support import Pinged

pytestmark = pytest.mark.django_db


def chain(correlation_id: str) -> dict[str, EventRecord]:
    return {r.type: r for r in EventRecord.objects.filter(correlation_id=correlation_id).order_by("id")}


@pytest.fixture
def reserved_over_http(seller, buyer, client_for, drain):
    """A reservation placed over HTTP with request id ``req-reserve-1``, every subscriber caught up."""
    product = product_register(seller=seller, name="Noodle", price=3000)
    response = client_for(buyer).post(
        "/api/reservations/", {"product_id": product.pk}, format="json", HTTP_X_REQUEST_ID="req-reserve-1"
    )
    assert response.status_code == 201, response.content
    drain()
    return response.json()


def test_a_request_starts_the_chain_and_handlers_events_inherit_it(reserved_over_http):
    found = chain("req-reserve-1")
    assert {"ReservationPlaced", "ProductReserved", "PaymentRequested"} <= set(found)
    placed, held, requested = found["ReservationPlaced"], found["ProductReserved"], found["PaymentRequested"]
    assert placed.causation_id == "req-reserve-1"  # the request caused it
    assert held.causation_id == str(placed.event_id)  # in the transaction, by product's hold
    assert requested.causation_id == str(held.event_id)  # after commit, by payment's durable handler
    # Read back from the log, the event object carries them.
    event = requested.to_event()
    assert (event.correlation_id, event.causation_id) == ("req-reserve-1", str(held.event_id))


def test_separate_requests_make_separate_chains(seller, buyer, client_for, drain):
    product = product_register(seller=seller, name="Desk", price=100)
    client_for(buyer).post("/api/reservations/", {"product_id": product.pk}, format="json", HTTP_X_REQUEST_ID="r-a")
    registered = EventRecord.objects.get(type="ProductRegistered", aggregate_id=str(product.pk))
    assert registered.correlation_id not in ("", "r-a")  # outside a request: a chain of its own
    assert set(chain("r-a")) == {"ReservationPlaced", "ProductReserved"}


def test_a_job_starts_its_own_chain_and_events_published_together_share_it():
    with transaction.atomic(), bus.chain("nightly-job-7"):
        bus.publish(Pinged(key="a"))
    with transaction.atomic():
        first, second = bus.publish_many([Pinged(key="b"), Pinged(key="c")])
    assert EventRecord.objects.get(event_id=first.event_id).correlation_id == first.correlation_id
    assert first.correlation_id == second.correlation_id and first.correlation_id != "nightly-job-7"
    assert EventRecord.objects.filter(correlation_id="nightly-job-7").count() == 1


def test_a_batch_handlers_events_are_caused_by_their_own_event(seller, buyer, drain, settings):
    """payment.request_payment takes batches: two reservations from two requests, run together in
    one worker claim, still give each PaymentRequested its own cause and chain."""
    settings.EVENTS_DISPATCH = "worker"
    ids = []
    for n in range(2):
        product = product_register(seller=seller, name=f"P{n}", price=100)
        with observability.log_context(request_id=f"batch-req-{n}"):
            ids.append(reservation_place(buyer=buyer, product_id=product.pk).pk)
    assert bus.drain() > 0
    for n in range(2):
        found = chain(f"batch-req-{n}")
        assert found["PaymentRequested"].causation_id == str(found["ProductReserved"].event_id)


def test_log_lines_of_a_handler_carry_the_chain(reserved_over_http, caplog, seller, buyer, client_for, drain):
    caplog.handler.addFilter(ContextFilter())
    caplog.set_level(logging.INFO)
    product = product_register(seller=seller, name="Lamp", price=100)
    client_for(buyer).post("/api/reservations/", {"product_id": product.pk}, format="json", HTTP_X_REQUEST_ID="r-log")
    drain()
    access = [r for r in caplog.records if r.name == "market.access"]
    assert access and access[0].correlation_id == "r-log"
    # notice logs each message it sends, inside the durable delivery: the chain is on its lines
    delivery_lines = [r for r in caplog.records if r.subscriber != "-" and r.correlation_id == "r-log"]
    assert delivery_lines, [(r.name, r.subscriber, r.correlation_id) for r in caplog.records]
    assert all(r.causation_id != "-" for r in delivery_lines)


def test_my_page_timeline_entries_carry_the_ids(reserved_over_http, buyer, client_for):
    entries = TimelineEntry.objects.filter(row_id=reserved_over_http["id"])
    assert entries and all(e.correlation_id == "req-reserve-1" for e in entries)
    body = client_for(buyer).get(f"/api/mypage/{reserved_over_http['id']}/").json()
    assert {e["correlation_id"] for e in body["timeline"]} == {"req-reserve-1"}
    assert all(e["causation_id"] for e in body["timeline"])


def test_admin_event_and_delivery_pages_filter_by_correlation(reserved_over_http, staff):
    client = Client()
    client.force_login(staff)
    placed = chain("req-reserve-1")["ReservationPlaced"]
    page = client.get("/admin/market/eventrecord/", {"correlation_id": "req-reserve-1"})
    assert page.status_code == 200 and b"req-reserve-1" in page.content
    assert page.context["cl"].result_count == len(chain("req-reserve-1"))
    page = client.get("/admin/market/delivery/", {"event__correlation_id": "req-reserve-1"})
    assert page.status_code == 200
    assert {d.event.correlation_id for d in page.context["cl"].result_list} == {"req-reserve-1"}
    page = client.get("/admin/market/delivery/", {"q": "req-reserve-1"})
    assert page.status_code == 200 and page.context["cl"].result_count >= 1
    page = client.get(f"/admin/market/eventrecord/{placed.pk}/change/")
    assert page.status_code == 200 and b"req-reserve-1" in page.content


def test_trace_prints_the_chain_as_a_tree(reserved_over_http):
    out = io.StringIO()
    call_command("events", "trace", "req-reserve-1", stdout=out)
    text = out.getvalue()
    assert text.startswith("chain req-reserve-1:")
    lines = text.splitlines()

    def line(fragment: str) -> tuple[int, str]:
        for i, candidate in enumerate(lines):
            if fragment in candidate:
                return i, candidate
        raise AssertionError(f"{fragment!r} not in\n{text}")

    def depth(text_line: str) -> int:
        return len(text_line) - len(text_line.lstrip(" │├└─"))

    i_placed, placed = line(" ReservationPlaced ")
    i_hold, hold = line("[in transaction] product.hold_for_reservation")
    i_reserved, reserved = line(" ProductReserved ")
    i_request, request = line("payment.request_payment: done, 1 attempt")
    i_requested, requested = line(" PaymentRequested ")
    assert i_placed < i_hold < i_reserved < i_request < i_requested
    assert depth(placed) < depth(hold) < depth(reserved) < depth(request) < depth(requested)
    assert "by reservation (request or command req-reserve-1)" in placed
    assert "by product.hold_for_reservation" in reserved and "by payment.request_payment" in requested
    assert "mypage.project: done" in text and "notice.notify: done" in text and "after the event" in text
    # an event id names its chain too
    event_id = str(chain("req-reserve-1")["PaymentRequested"].event_id)
    out = io.StringIO()
    call_command("events", "trace", event_id, stdout=out)
    assert out.getvalue() == text


def test_trace_of_an_unknown_id_fails():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="no event carries"):
        call_command("events", "trace", "nobody-knows", stdout=io.StringIO())


def test_an_event_carries_no_ids_until_published():
    event = events.UserContactChanged(user_id=1, username="u", phone="010")
    assert event.correlation_id is None and event.causation_id is None
    assert "correlation_id" not in event.payload()
