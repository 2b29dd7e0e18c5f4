"""The lifecycle of issue 17 on the web pages under /shop/, through Django's test client: the seller's
Decline (with a reason), expired and declined rows on the buyer's my-page (and its poll), the hold's
deadline (the wish list's pages: tests/product/test_pages_wishes.py)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from payment.models import Payment
from product.models import Product
from reservation.models import Reservation
from reservation.services import reservation_expire_due, reservation_place
from tests.support.pages import csrf_post, messages_of

pytestmark = pytest.mark.django_db(transaction=True)  # inline after-commit dispatch: my-page rows appear


def poll_url(html: str, path: str) -> str:
    [url] = re.findall(rf'hx-get="({re.escape(path)}\?page=1&amp;seen=\d+)"', html)
    return url.replace("&amp;", "&")


# --- the seller declines -------------------------------------------------------------------------------


def test_the_seller_declines_with_a_reason_and_the_buyer_sees_it_declined(web, lamp, seller, buyer):
    reservation = reservation_place(buyer=buyer, product_id=lamp.pk)
    buyer_page = web(buyer).get("/shop/my/").content.decode()
    poll = poll_url(buyer_page, "/shop/my/rows/")
    rows = web(seller).get("/shop/my/sales/rows/").content.decode()
    assert f'action="/shop/reservations/{reservation.pk}/decline/"' in rows
    assert f'<label for="reason-{reservation.pk}">' in rows and f'id="reason-{reservation.pk}" name="reason"' in rows

    reason = {"reason": "  Sold it at the market  "}
    declined = csrf_post(web(seller), f"/shop/reservations/{reservation.pk}/decline/", reason, follow=True)
    assert declined.redirect_chain[-1][0] == "/shop/my/sales/"
    assert messages_of(declined) == ["The reservation is declined. The buyer is told; your product is on sale again."]
    html = declined.content.decode()
    assert 'data-reservation-state="declined"' in html and 'data-action="decline"' not in html
    assert "You declined this reservation; the product is on sale again." in html
    ended = Reservation.objects.get(pk=reservation.pk)
    assert (ended.status, ended.end_reason, ended.ended_by_id) == ("declined", "Sold it at the market", seller.pk)
    assert Product.objects.get(pk=lamp.pk).status == "available"
    assert Payment.objects.get(reservation_id=reservation.pk).status == "voided"

    fresh = web(buyer).get(poll)  # the open my-page's next poll
    assert fresh.status_code == 200
    rows = fresh.content.decode()
    assert 'data-reservation-state="declined"' in rows and ">Declined<" in rows
    assert "The seller declined this reservation." in rows and "The seller declined the reservation" in rows
    assert 'data-action="cancel"' not in rows and 'data-action="pay"' not in rows and "Pay by" not in rows


def test_declining_a_paid_reservation_shows_the_409_message(web, lamp, seller, buyer):
    reservation = reservation_place(buyer=buyer, product_id=lamp.pk)
    csrf_post(web(buyer), f"/shop/payments/{Payment.objects.get(reservation_id=reservation.pk).pk}/pay/")
    sales = web(seller).get("/shop/my/sales/rows/").content.decode()
    assert 'data-action="decline"' not in sales  # no button for what can only fail
    refused = csrf_post(web(seller), f"/shop/reservations/{reservation.pk}/decline/", {"reason": ""}, follow=True)
    assert messages_of(refused) == ["This reservation is already paid; it can no longer be declined."]
    assert Reservation.objects.get(pk=reservation.pk).status == "completed"


def test_only_the_seller_declines_and_only_a_live_reservation(web, lamp, seller, buyer, other_buyer):
    reservation = reservation_place(buyer=buyer, product_id=lamp.pk)
    url = f"/shop/reservations/{reservation.pk}/decline/"
    assert messages_of(csrf_post(web(buyer), url, follow=True)) == [
        "Only the product's seller may decline this reservation."
    ]
    assert messages_of(csrf_post(web(other_buyer), url, follow=True)) == ["No such reservation."]
    assert messages_of(csrf_post(web(seller), "/shop/reservations/999999/decline/", follow=True)) == [
        "No such reservation."
    ]
    too_long = csrf_post(web(seller), url, {"reason": "x" * 201}, follow=True)
    assert messages_of(too_long) == ["The reason may be at most 200 characters."]
    assert Reservation.objects.get(pk=reservation.pk).status == "reserved"
    anonymous = csrf_post(web(), url)
    assert anonymous.status_code == 302 and anonymous["Location"] == "/shop/signin/?next=%2Fshop%2Fmy%2Fsales%2F"
    assert web(seller).get(url).status_code == 405
    assert web(seller).post(url, {"reason": ""}).status_code == 403  # no CSRF token
    assert Reservation.objects.get(pk=reservation.pk).status == "reserved"
    csrf_post(web(seller), url)
    twice = csrf_post(web(seller), url, follow=True)
    assert messages_of(twice) == ["This reservation has already ended."]
    # The buyer's Cancel on what the seller already declined reads the same.
    cancel = csrf_post(web(buyer), f"/shop/reservations/{reservation.pk}/cancel/", follow=True)
    assert messages_of(cancel) == ["This reservation has already ended."]


# --- the hold's deadline and its expiry ------------------------------------------------------------------


def test_the_deadline_shows_from_hold_expires_at_and_the_poll_picks_up_the_expiry(web, lamp, seller, buyer):
    reservation = reservation_place(buyer=buyer, product_id=lamp.pk)
    deadline = timezone.localtime(reservation.hold_expires_at).strftime("%Y-%m-%d %H:%M")
    client = web(buyer)
    page = client.get("/shop/my/").content.decode()
    assert f"Pay by {deadline}, or the hold ends." in page
    assert f"Held until {deadline}" in web(seller).get("/shop/my/sales/rows/").content.decode()
    poll = poll_url(page, "/shop/my/rows/")
    assert client.get(poll).status_code == 204  # nothing changed yet

    assert reservation_expire_due(now=reservation.hold_expires_at + timedelta(seconds=1)) == 1
    fresh = client.get(poll)
    assert fresh.status_code == 200
    rows = fresh.content.decode()
    assert 'data-reservation-state="expired"' in rows and ">Expired<" in rows
    assert "The hold ended before payment." in rows and "The hold ended unpaid" in rows
    assert "Pay by" not in rows and 'data-action="pay"' not in rows and 'data-action="cancel"' not in rows
    sales = web(seller).get("/shop/my/sales/rows/").content.decode()
    assert "The hold ended unpaid; the product is on sale again." in sales and 'data-action="decline"' not in sales


def test_the_new_pages_speak_korean_by_default(web, lamp, buyer, korean_default):
    client = web(buyer)
    product = client.get(f"/shop/products/{lamp.pk}/").content.decode()
    assert "찜하기" in product
    assert "찜 목록" in client.get("/shop/my/wishes/").content.decode()


def test_decline_shares_the_cancel_limit_and_says_how_long_to_wait(web, lamp, seller, buyer, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "cancel": "1/min"},
    }
    client = web(seller)
    first = reservation_place(buyer=buyer, product_id=lamp.pk)
    csrf_post(client, f"/shop/reservations/{first.pk}/decline/")  # the one allowed this minute
    second = reservation_place(buyer=buyer, product_id=lamp.pk)
    refused = csrf_post(client, f"/shop/reservations/{second.pk}/decline/", follow=True)
    [message] = messages_of(refused)
    assert re.fullmatch(r"Too many tries\. Please try again in \d+ seconds?\.", message)
    assert Reservation.objects.get(pk=second.pk).status == "reserved"
