"""The lifecycle of issue 17 on the web pages under /shop/, through Django's test client: the wish
button and the "my wishes" page, the seller's Decline (with a reason), expired and declined rows on
the buyer's my-page (and its poll), the hold's deadline, and the notifications' new kinds."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from payment.models import Payment
from product.models import Product, Wish
from product.services import product_register, product_wish
from reservation.models import Reservation
from reservation.services import reservation_expire_due, reservation_place
from tests.pages.support import csrf_post, messages_of

pytestmark = pytest.mark.django_db(transaction=True)  # inline after-commit dispatch: my-page rows appear


@pytest.fixture
def lamp(seller):
    return product_register(seller=seller, name="Desk lamp", price=12000, description="Warm light.")


def poll_url(html: str, path: str) -> str:
    [url] = re.findall(rf'hx-get="({re.escape(path)}\?page=1&amp;seen=\d+)"', html)
    return url.replace("&amp;", "&")


# --- the wish list (찜) --------------------------------------------------------------------------------


def test_the_product_page_offers_the_wish_button_with_the_count_to_signed_in_non_sellers(
    web, lamp, buyer, other_buyer, seller
):
    product_wish(product_id=lamp.pk, user=other_buyer)
    page = web(buyer).get(f"/shop/products/{lamp.pk}/").content.decode()
    assert 'id="wish-button" aria-pressed="false"' in page and 'name="wish" value="1"' in page
    assert 'data-wish-count="1"' in page and "1 person wishes for this" in page
    own = web(seller).get(f"/shop/products/{lamp.pk}/").content.decode()
    assert 'id="wish-button"' not in own and 'data-wish-count="1"' in own
    anonymous = web().get(f"/shop/products/{lamp.pk}/").content.decode()
    assert 'id="wish-button"' not in anonymous and "1 person wishes for this" in anonymous


def test_wishing_and_unwishing_from_the_product_page(web, lamp, buyer):
    client = web(buyer)
    wished = csrf_post(client, f"/shop/products/{lamp.pk}/wish/", {"wish": "1"}, follow=True)
    assert wished.redirect_chain[-1][0] == f"/shop/products/{lamp.pk}/"
    assert messages_of(wished) == ["Added to your wish list. We tell you when it is available again or cheaper."]
    html = wished.content.decode()
    assert 'aria-pressed="true"' in html and 'name="wish" value="0"' in html and 'data-wish-count="1"' in html
    again = csrf_post(client, f"/shop/products/{lamp.pk}/wish/", {"wish": "1"}, follow=True)  # a double click
    assert Wish.objects.filter(user=buyer).count() == 1 and 'data-wish-count="1"' in again.content.decode()
    removed = csrf_post(client, f"/shop/products/{lamp.pk}/wish/", {"wish": "0"}, follow=True)
    assert messages_of(removed) == ["Removed from your wish list."]
    assert not Wish.objects.exists() and 'data-wish-count="0"' in removed.content.decode()


def test_my_wishes_lists_each_product_with_its_current_state_and_price(web, lamp, seller, buyer, other_buyer):
    bike = product_register(seller=seller, name="Red bicycle", price=85000)
    client = web(buyer)
    for product in (lamp, bike):
        csrf_post(client, f"/shop/products/{product.pk}/wish/", {"wish": "1"})
    reservation_place(buyer=other_buyer, product_id=bike.pk)
    Product.objects.filter(pk=lamp.pk).update(price=9000)  # as a price change leaves it
    page = client.get("/shop/my/wishes/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'aria-current="page">My wishes' in html
    cards = re.findall(r'<li class="card wish" data-product="(\d+)">(.*?)</li>', html, re.S)
    assert [int(pk) for pk, _card in cards] == [bike.pk, lamp.pk]  # newest wish first
    assert "Red bicycle" in cards[0][1] and 'data-state="pending"' in cards[0][1] and "₩85,000" in cards[0][1]
    assert "Desk lamp" in cards[1][1] and 'data-state="available"' in cards[1][1] and "₩9,000" in cards[1][1]
    assert "Your wish list is empty." in web(other_buyer).get("/shop/my/wishes/").content.decode()


def test_the_wish_button_refuses_with_messages_and_protects_itself(web, lamp, seller, buyer):
    own = csrf_post(web(seller), f"/shop/products/{lamp.pk}/wish/", {"wish": "1"}, follow=True)
    assert messages_of(own) == ["This is your own product: you cannot wish for it."]
    missing = csrf_post(web(buyer), "/shop/products/999999/wish/", {"wish": "1"})
    assert missing.status_code == 404 and "This product no longer exists." in missing.content.decode()
    anonymous = csrf_post(web(), f"/shop/products/{lamp.pk}/wish/", {"wish": "1"})
    assert anonymous.status_code == 302
    assert anonymous["Location"] == f"/shop/signin/?next=%2Fshop%2Fproducts%2F{lamp.pk}%2F"
    assert web(buyer).get(f"/shop/products/{lamp.pk}/wish/").status_code == 405
    assert web(buyer).post(f"/shop/products/{lamp.pk}/wish/", {"wish": "1"}).status_code == 403  # no CSRF token
    assert not Wish.objects.exists()
    assert web().get("/shop/my/wishes/")["Location"].startswith("/shop/signin/")


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


# --- notifications ---------------------------------------------------------------------------------------


def test_notifications_name_the_new_kinds(web, lamp, seller, buyer, other_buyer, drain):
    first = reservation_place(buyer=buyer, product_id=lamp.pk)
    csrf_post(web(seller), f"/shop/reservations/{first.pk}/decline/", {"reason": "Broken"})
    second = reservation_place(buyer=buyer, product_id=lamp.pk)
    reservation_expire_due(now=second.hold_expires_at + timedelta(seconds=1))
    drain()
    page = web(buyer).get("/shop/my/notifications/").content.decode()
    assert '<h2 class="kind kind-declined">Reservation declined</h2>' in page
    assert '<h2 class="kind kind-expired">Reservation expired</h2>' in page
    assert "Broken" in page
    seller_page = web(seller).get("/shop/my/notifications/").content.decode()
    assert '<h2 class="kind kind-hold_expired">Hold expired</h2>' in seller_page


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
