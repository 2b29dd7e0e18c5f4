"""The product's commands and selectors on their own: registering, editing, withdrawing, listing,
and the events they publish."""

from __future__ import annotations

import pytest

from market import events
from market.errors import Conflict, Forbidden, NotFound, ValidationFailed
from product.models import Product
from product.selectors import product_get, product_list
from product.services import product_register, product_update, product_withdraw
from reservation.services import reservation_place
from tests.support.events import published

# --- products -----------------------------------------------------------------------------------


def test_registering_a_product_publishes_product_registered(seller):
    product = product_register(seller=seller, name="  Desk ", price=0)
    assert product.status == Product.Status.AVAILABLE
    assert product.name == "Desk"
    [event] = published(events.ProductRegistered, product_id=product.pk)
    assert (event.seller_id, event.seller_name, event.product_name, event.price) == (seller.pk, "seller", "Desk", "0")


@pytest.mark.parametrize(
    ("name", "price", "code"),
    [
        ("", 100, "invalid_name"),
        ("   ", 100, "invalid_name"),
        ("x" * 101, 100, "invalid_name"),
        ("Desk", -1, "invalid_price"),
        ("Desk", 1_000_000_001, "invalid_price"),
        ("Desk", True, "invalid_price"),
        ("Desk", "100", "invalid_price"),
        ("Desk", 1.5, "invalid_price"),
    ],
)
def test_registering_refuses_bad_listings(seller, name, price, code):
    with pytest.raises(ValidationFailed) as caught:
        product_register(seller=seller, name=name, price=price)
    assert caught.value.code == code
    assert not Product.objects.exists()
    assert not published(events.ProductRegistered)


def test_the_seller_updates_an_available_product(noodle, seller):
    product = product_update(product_id=noodle.pk, actor=seller, price=2500, name="Ramen")
    assert (product.name, product.price, product.description) == ("Ramen", 2500, "instant")
    [event] = published(events.ProductUpdated, product_id=noodle.pk)
    assert (event.product_name, event.price) == ("Ramen", "2500")


def test_only_the_seller_updates_or_withdraws(noodle, buyer, staff):
    for actor in (buyer, staff):
        with pytest.raises(Forbidden) as caught:
            product_update(product_id=noodle.pk, actor=actor, price=1)
        assert caught.value.code == "not_seller"
        with pytest.raises(Forbidden):
            product_withdraw(product_id=noodle.pk, actor=actor)
    assert Product.objects.get(pk=noodle.pk).price == 3000


@pytest.mark.parametrize("product_id", [999_999, 0, -1, "abc", None, 2**70])
def test_unknown_products_are_not_found(seller, product_id):
    with pytest.raises(NotFound) as caught:
        product_update(product_id=product_id, actor=seller, price=1)
    assert caught.value.code == "product_not_found"
    with pytest.raises(NotFound):
        product_withdraw(product_id=product_id, actor=seller)
    with pytest.raises(NotFound):
        product_get(product_id=product_id)


def test_a_reserved_product_cannot_be_edited_or_withdrawn(reserved, noodle, seller):
    with pytest.raises(Conflict) as caught:
        product_update(product_id=noodle.pk, actor=seller, price=1)
    assert caught.value.code == "product_not_editable"
    with pytest.raises(Conflict):
        product_withdraw(product_id=noodle.pk, actor=seller)
    assert Product.objects.filter(pk=noodle.pk).exists()


def test_withdrawing_deletes_and_publishes(noodle, seller):
    product_withdraw(product_id=noodle.pk, actor=seller)
    assert not Product.objects.filter(pk=noodle.pk).exists()
    [event] = published(events.ProductWithdrawn, product_id=noodle.pk)
    assert event.seller_id == seller.pk


def test_a_withdrawn_product_cannot_be_reserved(noodle, seller, buyer):
    product_withdraw(product_id=noodle.pk, actor=seller)
    with pytest.raises(NotFound) as caught:
        reservation_place(buyer=buyer, product_id=noodle.pk)
    assert caught.value.code == "product_not_found"


def test_product_list_uses_one_query(seller, django_assert_num_queries):
    for i in range(5):
        product_register(seller=seller, name=f"P{i}", price=i)
    with django_assert_num_queries(1):
        names = [(p.name, p.seller.username) for p in product_list()]
    assert names[0] == ("P4", "seller")
