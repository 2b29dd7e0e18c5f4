"""The wish list (찜) on the web pages under /shop/, through Django's test client: the wish button and
the "my wishes" page."""

from __future__ import annotations

import re

import pytest

from product.models import Product, Wish
from product.services import product_register, product_wish
from reservation.services import reservation_place
from tests.support.pages import csrf_post, messages_of

pytestmark = pytest.mark.django_db(transaction=True)  # inline after-commit dispatch: my-page rows appear


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
