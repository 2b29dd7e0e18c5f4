"""The wish list (issue 17): wishing over HTTP, the seller's wish counts, and the wishers who hear
when an item comes back or gets cheaper, in both dispatch modes."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from market import events
from notice.models import Notification, Wisher
from product.models import Wish
from product.services import product_register, product_unwish, product_update, product_wish
from reservation.services import reservation_cancel, reservation_decline, reservation_expire_due
from tests.support.events import published
from tests.support.lifecycle import HOLD, reserve, told

# --- the wish list ------------------------------------------------------------------------------


def test_the_wish_list_over_http(noodle, buyer, seller, other_buyer, client_for, anon):
    url = f"/api/products/{noodle.pk}/wish/"
    assert anon.post(url).status_code == 401
    assert client_for(buyer).post(url).status_code == 201
    assert client_for(buyer).post(url).status_code == 200  # idempotent
    assert client_for(other_buyer).post(url).status_code == 201
    own = client_for(seller).post(url)
    assert (own.status_code, own.json()["code"]) == (409, "own_product")
    assert client_for(buyer).post("/api/products/999999/wish/").status_code == 404
    assert anon.get(f"/api/products/{noodle.pk}/").json()["wish_count"] == 2
    [mine] = client_for(buyer).get("/api/wishes/").json()["results"]
    assert (mine["product_id"], mine["name"], mine["price"], mine["status"]) == (noodle.pk, "Noodle", 3000, "available")
    assert client_for(buyer).delete(url).status_code == 204
    assert client_for(buyer).delete(url).status_code == 204  # idempotent
    assert client_for(buyer).get("/api/wishes/").json()["results"] == []
    assert anon.get(f"/api/products/{noodle.pk}/").json()["wish_count"] == 1
    assert len(published(events.ProductWished)) == 2 and len(published(events.ProductUnwished)) == 1


def test_sellers_see_wish_counts_in_their_admin_list(noodle, buyer, seller):
    product_wish(product_id=noodle.pk, user=buyer)
    client = Client()
    client.force_login(seller)
    page = client.get(reverse("admin:product_product_changelist")).content.decode()
    assert "column-wish_count" in page
    assert '<td class="field-wish_count">1</td>' in page


@pytest.mark.parametrize("ending", ["cancelled", "declined", "expired"])
def test_wishers_hear_once_when_a_wished_product_is_available_again(
    dispatch, clock, ending, noodle, buyer, seller, make_user, drain
):
    fan, fickle = make_user("fan", phone="01055556666"), make_user("fickle")
    for user in (fan, fickle, buyer):
        product_wish(product_id=noodle.pk, user=user)
    product_unwish(product_id=noodle.pk, user=fickle)
    reservation = reserve(buyer, noodle, drain)
    if ending == "cancelled":
        reservation_cancel(reservation_id=reservation.pk, actor=buyer)
    elif ending == "declined":
        reservation_decline(reservation_id=reservation.pk, actor=seller)
    else:
        clock.advance(HOLD)
        assert reservation_expire_due() == 1
    drain()
    [note] = told(fan, "WISH_AVAILABLE")
    assert "'Noodle' on your wish list is available again" in note.text
    assert note.channel == Notification.Channel.CONSOLE and note.status == Notification.Status.SENT
    assert not told(fickle)
    assert not told(buyer, "WISH_AVAILABLE")  # told as the buyer already, not twice
    assert not told(seller, "WISH_AVAILABLE")
    assert set(Wisher.objects.filter(product_id=noodle.pk).values_list("user_id", flat=True)) == {fan.pk, buyer.pk}

    # A redelivered event tells nobody again.
    from notice.wishes import wishers_process_events

    wishers_process_events(events=published(events.ProductReleased))
    assert len(told(fan, "WISH_AVAILABLE")) == 1


def test_wishers_hear_of_a_lower_price_only(dispatch, noodle, buyer, seller, drain):
    product_wish(product_id=noodle.pk, user=buyer)
    product_update(product_id=noodle.pk, actor=seller, price=3500)
    product_update(product_id=noodle.pk, actor=seller, price=2500)
    drain()
    [lowered] = published(events.ProductPriceLowered)
    assert (lowered.previous_price, lowered.price) == ("3500", "2500")
    [note] = told(buyer, "WISH_PRICE_LOWERED")
    assert "is now 2,500 won (was 3,500 won)" in note.text
    assert note.parameters == {"productName": "Noodle", "amount": "2,500", "previousAmount": "3,500"}


def test_a_withdrawn_product_leaves_the_wish_books(dispatch, noodle, buyer, seller, drain):
    from product.services import product_withdraw

    product_wish(product_id=noodle.pk, user=buyer)
    drain()
    assert Wisher.objects.count() == 1
    product_withdraw(product_id=noodle.pk, actor=seller)
    drain()
    assert not Wish.objects.exists() and not Wisher.objects.exists()


def test_notifications_are_korean_by_default(korean_default, dispatch, noodle, buyer, seller, drain):
    fan = seller.__class__.objects.create_user("fan2")  # no contact in notice: the console channel
    product_wish(product_id=noodle.pk, user=fan)
    reservation = reserve(buyer, noodle, drain)
    reservation_decline(reservation_id=reservation.pk, actor=seller, reason="")
    drain()
    [note] = told(buyer, "DECLINED")
    assert "판매자" in note.text and "Noodle" in note.text and "Reason" not in note.text
    [wished] = told(fan, "WISH_AVAILABLE")
    assert "찜" in wished.text


def test_every_new_message_has_its_korean_translation():
    from django.utils import translation
    from django.utils.functional import Promise

    from notice.messages import TEMPLATES
    from notice.wishes import KINDS

    texts = [text for templates in TEMPLATES.values() for _kind, text, _who in templates if isinstance(text, Promise)]
    texts += [text for _kind, text in KINDS.values()]
    assert len(texts) == 6
    with translation.override("ko"):
        untranslated = [str(t) for t in texts if not any("\uac00" <= ch <= "\ud7a3" for ch in str(t))]
    assert not untranslated


def test_the_wish_list_reads_in_one_query_for_1_or_30_wishes(seller, buyer, client_for, django_assert_num_queries):
    client = client_for(buyer)
    for i in range(30):
        product_wish(product_id=product_register(seller=seller, name=f"P{i}", price=i).pk, user=buyer)
    with django_assert_num_queries(1):
        body = client.get("/api/wishes/?page_size=50").json()
    assert len(body["results"]) == 30 and body["results"][0]["name"] == "P29"
