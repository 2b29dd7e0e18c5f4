"""The marketplace's lifecycle beyond reserve/pay/cancel (issue 17): holds that expire (driven by a
fake clock through the worker's periodic sweep), sellers who decline, staff who release (the wish list:
test_wishes.py). Each flow runs in both dispatch modes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.admin.models import LogEntry
from django.test import Client
from django.urls import reverse
from django.utils.dateparse import parse_datetime

from market import bus, events, periodic
from market.bus.worker import Worker
from market.errors import Conflict, Forbidden, NotFound
from market.models import EventRecord
from mypage.models import MyPageRow
from payment.models import Payment
from payment.services import payment_pay
from product.models import Product
from product.services import product_register
from reservation.models import Reservation
from reservation.services import (
    reservation_cancel,
    reservation_decline,
    reservation_expire_due,
    reservation_place,
    reservation_release,
)
from tests.support.events import published
from tests.support.lifecycle import HOLD, reserve, sweep, told

# --- holds expire -------------------------------------------------------------------------------


def test_an_unpaid_hold_expires_once_its_deadline_has_passed(dispatch, clock, noodle, buyer, seller, drain):
    reservation = reserve(buyer, noodle, drain)
    assert reservation.hold_expires_at == clock.now + timedelta(seconds=HOLD)
    [placed] = published(events.ReservationPlaced, reservation_id=reservation.pk)
    assert placed.hold_expires_at == reservation.hold_expires_at.isoformat()

    clock.advance(HOLD - 1)
    assert "reservation.expire_holds" in sweep()
    assert Reservation.objects.get(pk=reservation.pk).status == Reservation.Status.RESERVED

    clock.advance(2)
    sweep()
    drain()
    assert Reservation.objects.get(pk=reservation.pk).status == Reservation.Status.EXPIRED
    product = Product.objects.get(pk=noodle.pk)
    assert (product.status, product.held_by_reservation_id) == (Product.Status.AVAILABLE, None)
    assert Payment.objects.get(reservation_id=reservation.pk).status == Payment.Status.VOIDED
    [expired] = published(events.ReservationExpired, reservation_id=reservation.pk)
    assert (expired.seller_id, expired.product_name, expired.price) == (seller.pk, "Noodle", "3000")
    [released] = published(events.ProductReleased, product_id=noodle.pk)
    assert released.cause == "expired"

    # The read side: my-page row and timeline, buyer and seller told (the seller not twice).
    row = MyPageRow.objects.get(pk=reservation.pk)
    assert (row.reservation_status, row.payment_status, row.product_status) == ("expired", "voided", "available")
    assert row.hold_expires_at == reservation.hold_expires_at
    assert "ReservationExpired" in list(row.timeline.values_list("event_type", flat=True))
    assert {"EXPIRED", "VOIDED"} <= {n.kind for n in told(buyer)}
    assert "expired unpaid" in told(buyer, "EXPIRED")[0].text
    assert len(told(seller, "HOLD_EXPIRED")) == 1
    assert not told(seller, "RELEASED")

    # Exactly once: later sweeps find nothing, and the product can be reserved again.
    clock.advance(HOLD * 2)
    assert reservation_expire_due() == 0
    assert len(published(events.ReservationExpired)) == 1
    reserve(buyer, noodle, drain)


def test_a_paid_hold_never_expires(dispatch, clock, noodle, buyer, drain):
    reservation = reserve(buyer, noodle, drain)
    # Paid, but the reservation has not caught up yet (its subscriber is paused): the payment vetoes.
    bus.pause("reservation.complete_on_payment")
    payment_pay(payment_id=Payment.objects.get(reservation_id=reservation.pk).pk, actor=buyer)
    clock.advance(HOLD + 1)
    assert reservation_expire_due() == 0
    assert Reservation.objects.get(pk=reservation.pk).status == Reservation.Status.RESERVED
    assert not published(events.ReservationExpired)
    bus.resume("reservation.complete_on_payment")
    drain()
    assert reservation_expire_due() == 0
    assert Reservation.objects.get(pk=reservation.pk).status == Reservation.Status.COMPLETED
    assert Product.objects.get(pk=noodle.pk).status == Product.Status.SOLD_OUT


def test_an_expired_hold_cannot_be_paid_or_cancelled(dispatch, clock, noodle, buyer, drain):
    reservation = reserve(buyer, noodle, drain)
    clock.advance(HOLD)
    assert reservation_expire_due() == 1
    with pytest.raises(Conflict) as caught:
        payment_pay(payment_id=Payment.objects.get(reservation_id=reservation.pk).pk, actor=buyer)
    assert caught.value.code == "payment_voided"
    with pytest.raises(Conflict) as caught:
        reservation_cancel(reservation_id=reservation.pk, actor=buyer)
    assert caught.value.code == "reservation_ended"


def test_a_hold_expires_even_before_its_payment_exists(dispatch, clock, noodle, buyer, drain):
    bus.pause("payment.request_payment")
    reservation = reservation_place(buyer=buyer, product_id=noodle.pk)
    clock.advance(HOLD)
    assert reservation_expire_due() == 1
    bus.resume("payment.request_payment")
    drain()
    assert Payment.objects.get(reservation_id=reservation.pk).status == Payment.Status.VOIDED
    assert not published(events.PaymentRequested)


def test_the_worker_loop_runs_the_sweep(dispatch, clock, noodle, buyer, drain):
    reservation = reserve(buyer, noodle, drain)
    clock.advance(HOLD)
    for job in periodic.jobs().values():
        job.last_run = None  # due now in this process
    Worker(poll=0).run_until_idle()
    assert Reservation.objects.get(pk=reservation.pk).status == Reservation.Status.EXPIRED


def test_the_reservation_api_and_the_reference_route_show_the_deadline_and_code_02(
    dispatch, clock, noodle, buyer, client_for, drain
):
    reservation = reserve(buyer, noodle, drain)
    client = client_for(buyer)
    body = client.get(f"/api/reservations/{reservation.pk}/").json()
    assert parse_datetime(body["hold_expires_at"]) == datetime(2026, 12, 1, 12, 10, tzinfo=UTC)
    mine = client.get("/api/mypage/").json()["results"][0]
    assert mine["hold_expires_at"] == body["hold_expires_at"]
    clock.advance(HOLD)
    reservation_expire_due()
    drain()
    assert client.get(f"/api/reservations/{reservation.pk}/").json()["status"] == "expired"
    [hal] = client.get("/reservations").json()["_embedded"]["reservations"]
    assert hal["reservationStatus"] == "02"
    [page] = client.get("/myPages").json()["_embedded"]["myPages"]
    assert page["reservationStatus"] == "02"
    assert client.get("/api/mypage/?status=expired").json()["count"] == 1


# --- sellers decline, staff release -------------------------------------------------------------


def test_the_seller_declines_an_unpaid_reservation(dispatch, noodle, buyer, seller, drain):
    reservation = reserve(buyer, noodle, drain)
    reason = "Sold it in the shop"
    declined = reservation_decline(reservation_id=reservation.pk, actor=seller, reason=reason)
    drain()
    assert (declined.status, declined.ended_by_id, declined.end_reason) == ("declined", seller.pk, reason)
    assert Product.objects.get(pk=noodle.pk).status == Product.Status.AVAILABLE
    assert Payment.objects.get(reservation_id=reservation.pk).status == Payment.Status.VOIDED
    [event] = published(events.ReservationDeclined, reservation_id=reservation.pk)
    assert (event.declined_by, event.by_staff, event.reason) == (seller.pk, False, "Sold it in the shop")
    assert published(events.ProductReleased)[0].cause == "declined"
    [note] = told(buyer, "DECLINED")
    assert "Reason: Sold it in the shop" in note.text
    assert not told(seller, "RELEASED") and not told(seller, "RELEASED_BY_STAFF")
    assert MyPageRow.objects.get(pk=reservation.pk).reservation_status == "declined"


def test_a_paid_or_ended_reservation_cannot_be_declined(dispatch, noodle, buyer, seller, drain):
    reservation = reserve(buyer, noodle, drain)
    payment_pay(payment_id=Payment.objects.get(reservation_id=reservation.pk).pk, actor=buyer)
    with pytest.raises(Conflict) as caught:  # paid, not yet completed: the payment vetoes
        reservation_decline(reservation_id=reservation.pk, actor=seller)
    assert caught.value.code == "already_paid"
    drain()
    with pytest.raises(Conflict) as caught:  # completed: the reservation refuses
        reservation_decline(reservation_id=reservation.pk, actor=seller)
    assert caught.value.code == "already_paid"
    assert Product.objects.get(pk=noodle.pk).status == Product.Status.SOLD_OUT
    assert not published(events.ReservationDeclined)


def test_only_the_seller_declines(dispatch, noodle, buyer, seller, other_buyer, staff, drain):
    reservation = reserve(buyer, noodle, drain)
    for actor in (buyer, staff):
        with pytest.raises(Forbidden) as caught:
            reservation_decline(reservation_id=reservation.pk, actor=actor)
        assert caught.value.code == "not_seller"
    for reservation_id in (reservation.pk, 999_999, "x"):
        with pytest.raises(NotFound):
            reservation_decline(reservation_id=reservation_id, actor=other_buyer)
    reservation_cancel(reservation_id=reservation.pk, actor=buyer)
    with pytest.raises(Conflict) as caught:
        reservation_decline(reservation_id=reservation.pk, actor=seller)
    assert caught.value.code == "reservation_ended"


def test_decline_over_http(dispatch, noodle, buyer, seller, other_buyer, staff, client_for, anon, drain):
    reservation = reserve(buyer, noodle, drain)
    url = f"/api/reservations/{reservation.pk}/decline/"
    assert anon.post(url).status_code == 401
    assert client_for(other_buyer).post(url).json()["code"] == "reservation_not_found"
    assert client_for(buyer).post(url).status_code == 403
    assert client_for(staff).post(url).status_code == 403
    assert client_for(seller).post(url, {"reason": "x" * 201}, format="json").status_code == 400
    response = client_for(seller).post(url, {"reason": "Broken"}, format="json")
    assert response.status_code == 200, response.content
    assert (response.json()["status"], response.json()["end_reason"]) == ("declined", "Broken")
    again = client_for(seller).post(url)
    assert (again.status_code, again.json()["code"]) == (409, "reservation_ended")
    assert client_for(seller).post("/api/reservations/999999/decline/").status_code == 404


def test_staff_release_a_stuck_reservation_from_the_admin(dispatch, noodle, buyer, seller, staff, drain):
    reservation = reserve(buyer, noodle, drain)
    client = Client()
    client.force_login(staff)
    response = client.post(
        reverse("admin:reservation_reservation_changelist"),
        {"action": "release", "_selected_action": [reservation.pk]},
        follow=True,
    )
    assert response.status_code == 200
    drain()
    released = Reservation.objects.get(pk=reservation.pk)
    assert (released.status, released.ended_by_id) == (Reservation.Status.DECLINED, staff.pk)
    [event] = published(events.ReservationDeclined)
    assert (event.declined_by, event.by_staff) == (staff.pk, True)
    assert LogEntry.objects.filter(object_id=str(reservation.pk), user=staff).exists()
    assert Product.objects.get(pk=noodle.pk).status == Product.Status.AVAILABLE
    assert len(told(seller, "RELEASED_BY_STAFF")) == 1 and len(told(buyer, "DECLINED")) == 1
    with pytest.raises(Forbidden):
        reservation_release(reservation_id=reservation.pk, actor=seller)


def test_the_browsable_api_shows_the_deadline_and_a_decline_form(noodle, buyer, seller, client_for, drain):
    reservation = reserve(buyer, noodle, drain)
    page = client_for(buyer).get(f"/api/reservations/{reservation.pk}/", HTTP_ACCEPT="text/html")
    assert page.status_code == 200 and "hold_expires_at" in page.content.decode()
    page = client_for(buyer).get("/api/mypage/", HTTP_ACCEPT="text/html")
    assert "hold_expires_at" in page.content.decode()
    form = client_for(seller).get(f"/api/reservations/{reservation.pk}/decline/", HTTP_ACCEPT="text/html")
    assert form.status_code == 405 and 'name="reason"' in form.content.decode()


def test_a_hold_that_cannot_expire_does_not_block_the_others(
    dispatch, clock, seller, buyer, other_buyer, monkeypatch, drain
):
    import reservation.services as services

    first = reserve(buyer, product_register(seller=seller, name="A", price=1), drain)
    clock.advance(1)
    second = reserve(other_buyer, product_register(seller=seller, name="B", price=2), drain)
    real = services.reservation_expire

    def flaky(*, reservation_id, now=None):
        if reservation_id == first.pk:
            raise RuntimeError("poison")
        return real(reservation_id=reservation_id, now=now)

    monkeypatch.setattr(services, "reservation_expire", flaky)
    clock.advance(HOLD + 1)
    assert services.reservation_expire_due() == 1
    assert Reservation.objects.get(pk=second.pk).status == Reservation.Status.EXPIRED
    assert Reservation.objects.get(pk=first.pk).status == Reservation.Status.RESERVED


def test_my_page_converges_whatever_order_the_new_events_arrive_in(dispatch, clock, noodle, buyer, seller, drain):
    from mypage.models import TimelineEntry
    from mypage.services import PROJECTIONS, mypage_apply_events

    expiring = reserve(buyer, noodle, drain)
    clock.advance(HOLD)
    reservation_expire_due()
    declined = reserve(buyer, noodle, drain)
    reservation_decline(reservation_id=declined.pk, actor=seller, reason="no")
    drain()

    def snapshot():
        rows = {
            r.pk: (r.reservation_status, r.payment_status, r.product_status, r.hold_expires_at, r.price)
            for r in MyPageRow.objects.all()
        }
        return rows, sorted(TimelineEntry.objects.values_list("event_type", "status"))

    incremental = snapshot()
    assert incremental[0][expiring.pk][:3] == ("expired", "voided", "available")
    assert incremental[0][declined.pk][:3] == ("declined", "voided", "available")
    logged = [r.to_event() for r in EventRecord.objects.filter(type__in=list(PROJECTIONS)).order_by("id")]
    TimelineEntry.objects.all().delete()
    MyPageRow.objects.all().delete()
    mypage_apply_events(events=list(reversed(logged)))
    assert snapshot() == incremental
