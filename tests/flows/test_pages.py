"""The web pages under /shop/ through Django's test client, as a buyer and a seller go through them:
the catalogue, reserve, pay and cancel, the my-page; who may do what and how a service's refusal
reads (signing in and the pages' security: tests/platform/test_pages_accounts_and_security.py)."""

from __future__ import annotations

import re

import pytest

from market import resilience
from mypage.models import MyPageRow
from payment.models import Payment
from product.models import Product
from product.services import product_register
from reservation.models import Reservation
from reservation.services import reservation_place
from tests.support.pages import csrf_post, messages_of

pytestmark = pytest.mark.django_db(transaction=True)  # inline after-commit dispatch: my-page rows appear


# --- reading -------------------------------------------------------------------------------------


def test_the_catalogue_lists_products_with_their_state_and_filters_them(web, seller):
    product_register(seller=seller, name="Red bicycle", price=50000)
    product_register(seller=seller, name="Blue kettle", price=9000)
    client = web()
    page = client.get("/shop/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Red bicycle" in html and "Blue kettle" in html and 'data-state="available"' in html
    found = client.get("/shop/", {"q": "bicy"}).content.decode()
    assert "Red bicycle" in found and "Blue kettle" not in found
    cheap = client.get("/shop/", {"max_price": 10000}).content.decode()
    assert "Blue kettle" in cheap and "Red bicycle" not in cheap
    assert "Blue kettle" not in client.get("/shop/", {"status": "sold_out"}).content.decode()


def test_a_bad_filter_is_explained_and_kept_in_the_form(web):
    page = web().get("/shop/", {"min_price": "-5", "q": "lamp"})
    assert page.status_code == 200
    html = page.content.decode()
    assert 'value="lamp"' in html and 'value="-5"' in html
    assert "greater than or equal to 0" in html


def test_the_catalogue_pages_by_twenty(web, seller):
    for n in range(25):
        product_register(seller=seller, name=f"Thing {n}", price=n)
    client = web()
    first = client.get("/shop/").content.decode()
    assert "Page 1 of 2" in first and "Thing 24" in first and "Thing 4" not in first
    second = client.get("/shop/", {"page": 2}).content.decode()
    assert "Thing 4" in second and "Thing 24" not in second


def test_a_product_page_offers_reserve_to_buyers_only(web, lamp, buyer, seller):
    as_buyer = web(buyer).get(f"/shop/products/{lamp.pk}/").content.decode()
    assert "Desk lamp" in as_buyer and 'id="reserve"' in as_buyer and "Warm light." in as_buyer
    as_seller = web(seller).get(f"/shop/products/{lamp.pk}/").content.decode()
    assert 'id="reserve"' not in as_seller and "This is your product." in as_seller
    as_anonymous = web().get(f"/shop/products/{lamp.pk}/").content.decode()
    assert 'id="reserve"' not in as_anonymous and "Sign in to reserve" in as_anonymous


def test_an_unknown_product_is_a_page_not_json(web):
    for url in ("/shop/products/999999/", f"/shop/products/{2**70}/"):
        page = web().get(url)
        assert page.status_code == 404
        assert page["Content-Type"].startswith("text/html")
        assert "This product no longer exists." in page.content.decode()


@pytest.mark.parametrize(
    "url",
    ["/shop/my/", "/shop/my/sales/", "/shop/my/notifications/", "/shop/my/products/", "/shop/sell/"],
)
def test_personal_pages_ask_to_sign_in(web, url):
    page = web().get(url)
    assert page.status_code == 302 and page["Location"].startswith("/shop/signin/?next=")


# --- reserve, pay, cancel ----------------------------------------------------------------------------


def test_reserve_then_pay_from_the_pages(web, lamp, buyer):
    client = web(buyer)
    reserved = csrf_post(client, f"/shop/products/{lamp.pk}/reserve/", follow=True)
    assert reserved.redirect_chain[-1][0] == "/shop/my/"
    assert any("Reserved." in m for m in messages_of(reserved))
    payment = Payment.objects.get(buyer_id=buyer.pk)
    html = reserved.content.decode()
    assert f'action="/shop/payments/{payment.pk}/pay/"' in html and 'data-action="cancel"' in html
    paid = csrf_post(client, f"/shop/payments/{payment.pk}/pay/", follow=True)
    assert any("Paid." in m for m in messages_of(paid))
    html = paid.content.decode()
    assert 'data-action="pay"' not in html and 'data-action="cancel"' not in html  # nothing left to do
    assert 'data-payment-state="paid"' in html
    assert Product.objects.get(pk=lamp.pk).status == "sold_out"


def test_a_second_buyer_meets_already_reserved_on_the_product_page(web, lamp, buyer, other_buyer):
    reservation_place(buyer=buyer, product_id=lamp.pk)
    late = csrf_post(web(other_buyer), f"/shop/products/{lamp.pk}/reserve/", follow=True)
    assert late.redirect_chain[-1][0] == f"/shop/products/{lamp.pk}/"
    assert messages_of(late) == ["Someone has already reserved this product."]


def test_reserving_a_sold_out_or_own_product_says_why(web, lamp, buyer, other_buyer, seller):
    reservation = reservation_place(buyer=buyer, product_id=lamp.pk)
    from payment.services import payment_pay

    payment_pay(payment_id=Payment.objects.get(reservation_id=reservation.pk).pk, actor=buyer)
    sold = csrf_post(web(other_buyer), f"/shop/products/{lamp.pk}/reserve/", follow=True)
    assert messages_of(sold) == ["This product is sold out."]
    mine = product_register(seller=seller, name="Mine", price=1)
    own = csrf_post(web(seller), f"/shop/products/{mine.pk}/reserve/", follow=True)
    assert messages_of(own) == ["This is your own product: you cannot reserve it."]


def test_cancel_then_pay_is_refused_with_a_message(web, lamp, buyer):
    client = web(buyer)
    reservation = reservation_place(buyer=buyer, product_id=lamp.pk)
    payment = Payment.objects.get(reservation_id=reservation.pk)
    cancelled = csrf_post(client, f"/shop/reservations/{reservation.pk}/cancel/", follow=True)
    assert messages_of(cancelled) == ["The reservation is cancelled."]
    assert 'data-reservation-state="cancelled"' in cancelled.content.decode()
    paid = csrf_post(client, f"/shop/payments/{payment.pk}/pay/", follow=True)
    assert messages_of(paid) == ["This payment was voided because its reservation was cancelled."]


def test_cancelling_a_paid_reservation_is_refused_with_a_message(web, lamp, buyer):
    client = web(buyer)
    reservation = reservation_place(buyer=buyer, product_id=lamp.pk)
    csrf_post(client, f"/shop/payments/{Payment.objects.get(reservation_id=reservation.pk).pk}/pay/")
    refused = csrf_post(client, f"/shop/reservations/{reservation.pk}/cancel/", follow=True)
    assert messages_of(refused) == ["This reservation is already paid; it can no longer be cancelled."]


def test_someone_elses_reservation_or_payment_is_not_found_and_untouched(web, lamp, buyer, other_buyer, seller):
    reservation = reservation_place(buyer=buyer, product_id=lamp.pk)
    payment = Payment.objects.get(reservation_id=reservation.pk)
    stranger = web(other_buyer)
    assert messages_of(csrf_post(stranger, f"/shop/payments/{payment.pk}/pay/", follow=True)) == ["No such payment."]
    assert messages_of(csrf_post(stranger, f"/shop/reservations/{reservation.pk}/cancel/", follow=True)) == [
        "No such reservation."
    ]
    # The seller is a party, but only the buyer pays or cancels.
    assert messages_of(csrf_post(web(seller), f"/shop/payments/{payment.pk}/pay/", follow=True)) == [
        "Only the buyer may do this."
    ]
    assert Payment.objects.get(pk=payment.pk).status == "unpaid"
    assert Reservation.objects.get(pk=reservation.pk).status == "reserved"


def test_anonymous_buttons_lead_to_sign_in_and_back_to_the_page(web, lamp):
    response = csrf_post(web(), f"/shop/products/{lamp.pk}/reserve/")
    assert response.status_code == 302
    assert response["Location"] == f"/shop/signin/?next=%2Fshop%2Fproducts%2F{lamp.pk}%2F"
    assert not Reservation.objects.exists()


def test_actions_are_post_only(web, lamp, buyer):
    assert web(buyer).get(f"/shop/products/{lamp.pk}/reserve/").status_code == 405


def test_the_rate_limit_says_how_many_seconds_to_wait(web, lamp, buyer, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "reserve": "1/min"},
    }
    client = web(buyer)
    reservation = reservation_place(buyer=buyer, product_id=lamp.pk)
    csrf_post(client, f"/shop/reservations/{reservation.pk}/cancel/")
    csrf_post(client, f"/shop/products/{lamp.pk}/reserve/")  # the one allowed this minute
    csrf_post(client, f"/shop/reservations/{Reservation.objects.latest('id').pk}/cancel/")
    refused = csrf_post(client, f"/shop/products/{lamp.pk}/reserve/", follow=True)
    [message] = messages_of(refused)
    assert re.fullmatch(r"Too many tries\. Please try again in \d+ seconds?\.", message)


def test_an_open_breaker_sheds_page_reservations_with_the_wait(web, lamp, buyer):
    resilience.breakers()["reservations"].force_open()
    refused = csrf_post(web(buyer), f"/shop/products/{lamp.pk}/reserve/", follow=True)
    [message] = messages_of(refused)
    assert re.fullmatch(r"We are very busy right now\. Please try again in \d+ seconds?\.", message)
    assert not Reservation.objects.exists()


# --- the my-page, sales, notifications, selling -------------------------------------------------------


def test_the_my_page_shows_states_timeline_and_polls_its_rows(web, lamp, buyer):
    reservation_place(buyer=buyer, product_id=lamp.pk)
    client = web(buyer)
    page = client.get("/shop/my/").content.decode()
    [poll] = re.findall(r'hx-get="(/shop/my/rows/\?page=1&amp;seen=\d+)" hx-trigger="every 3s"', page)
    assert "Timeline" in page and "Payment requested" in page and "Desk lamp" in page
    poll = poll.replace("&amp;", "&")
    assert client.get(poll).status_code == 204  # nothing changed: nothing sent, nothing swapped
    rows = client.get("/shop/my/rows/?page=1&seen=0")
    assert rows.status_code == 200 and "<html" not in rows.content.decode()
    assert 'data-payment-state="unpaid"' in rows.content.decode()


def test_a_change_makes_the_poll_send_the_new_list(web, lamp, buyer):
    reservation = reservation_place(buyer=buyer, product_id=lamp.pk)
    client = web(buyer)
    [poll] = re.findall(r'hx-get="([^"]+)"', client.get("/shop/my/").content.decode())
    csrf_post(client, f"/shop/reservations/{reservation.pk}/cancel/")
    changed = client.get(poll.replace("&amp;", "&"))
    assert changed.status_code == 200 and 'data-reservation-state="cancelled"' in changed.content.decode()


def test_a_poll_after_signing_out_stops_polling(web):
    assert web().get("/shop/my/rows/?page=1&seen=3").status_code == 286
    assert web().get("/shop/my/sales/rows/").status_code == 286


def test_a_buyer_sees_only_their_own_rows(web, lamp, buyer, other_buyer):
    reservation_place(buyer=buyer, product_id=lamp.pk)
    assert MyPageRow.objects.count() == 1
    assert "Desk lamp" not in web(other_buyer).get("/shop/my/rows/").content.decode()


def test_the_seller_sees_the_reservation_of_their_product(web, lamp, buyer, seller):
    reservation_place(buyer=buyer, product_id=lamp.pk)
    page = web(seller).get("/shop/my/products/").content.decode()
    assert 'data-state="pending"' in page and 'hx-get="/shop/my/sales/rows/"' in page
    sales = web(seller).get("/shop/my/sales/rows/").content.decode()
    assert "buyer" in sales and 'data-reservation-state="reserved"' in sales


def test_notifications_list_mine(web, lamp, buyer, drain):
    reservation_place(buyer=buyer, product_id=lamp.pk)
    drain()  # notice.notify runs in the worker only
    page = web(buyer).get("/shop/my/notifications/").content.decode()
    assert page.count('class="card notification"') >= 1


def test_listing_a_product_and_keeping_the_input_on_errors(web, seller):
    client = web(seller)
    bad = csrf_post(client, "/shop/sell/", {"name": "Chair", "price": "-1", "description": "Oak"})
    assert bad.status_code == 400
    html = bad.content.decode()
    assert 'value="Chair"' in html and "Oak</textarea>" in html and not Product.objects.exists()
    done = csrf_post(client, "/shop/sell/", {"name": "Chair", "price": "15000", "description": "Oak"}, follow=True)
    assert done.redirect_chain[-1][0] == "/shop/my/products/"
    assert any("Chair" in m for m in messages_of(done))
    assert Product.objects.get().seller_id == seller.pk


def test_an_unchanged_poll_costs_three_queries(web, lamp, buyer, django_assert_max_num_queries):
    reservation_place(buyer=buyer, product_id=lamp.pk)
    client = web(buyer)
    [poll] = re.findall(r'hx-get="([^"]+)"', client.get("/shop/my/").content.decode())
    with django_assert_max_num_queries(3):  # the session, the user, the version's COUNT
        assert client.get(poll.replace("&amp;", "&")).status_code == 204
